using LowBit.Data;
using LowBit.Tensors;

namespace LowBit.Tests.Data;

public class BatcherTests
{
    /// <summary>Sample i is [1,2,2] filled with i; label i mod 3. Counts reads to check prefetching.</summary>
    private sealed class Counting(int count, int failAt = -1) : Dataset
    {
        public int Reads;
        public override string Name => "counting";
        public override int Count => count;
        public override int[] SampleShape => [1, 2, 2];
        public override IReadOnlyList<string>? ClassNames => ["a", "b", "c"];
        public override void ReadSample(int index, Span<float> destination)
        {
            if (index == failAt) throw new LowBitException(ErrorKind.InvalidInput, $"sample {index} is broken");
            Interlocked.Increment(ref Reads);
            destination[..4].Fill(index);
        }
        public override int GetLabel(int index) => index % 3;
    }

    [Fact]
    public void Epoch_NoShuffle_KeepsOrderAndLastPartialBatch()
    {
        var batches = new Batcher(new Counting(10), new BatchOptions(4)).Epoch().ToList();
        Assert.Equal(new[] { 4, 4, 2 }, batches.Select(b => b.Size));
        Assert.Equal(Enumerable.Range(0, 10), batches.SelectMany(b => b.SampleIndices));
        var last = batches[2];
        Assert.Equal(new[] { 2, 1, 2, 2 }, last.Inputs.Shape);
        Assert.Equal(DType.Int64, last.Labels!.DType);
        Assert.Equal(new long[] { 2, 0 }, last.Labels.ToInt64Array());
        Assert.Equal(new float[] { 8, 8, 8, 8, 9, 9, 9, 9 }, last.Inputs.ToFloatArray());
        Assert.Equal(new[] { 0, 1, 2 }, batches.Select(b => b.Index));
    }

    [Fact]
    public void Epoch_DropLast_DropsThePartialBatchAndCountsAgree()
    {
        var batcher = new Batcher(new Counting(10), new BatchOptions(4, dropLast: true));
        Assert.Equal(2, batcher.BatchCount);
        Assert.Equal(8, batcher.SamplesPerEpoch);
        Assert.Equal(2, batcher.Epoch().Count());
    }

    [Fact]
    public void Epoch_ShuffleSameSeed_IdenticalAcrossRunsAndPrefetchDepths_DifferentAcrossEpochs()
    {
        List<int> Order(int prefetch, int epoch, ulong seed = 9) =>
            new Batcher(new Counting(50), new BatchOptions(8, shuffle: true, seed: seed, prefetch: prefetch)).Epoch(epoch).SelectMany(b => b.SampleIndices).ToList();
        var reference = Order(0, 0);
        Assert.Equal(Enumerable.Range(0, 50), reference.Order());
        Assert.NotEqual(Enumerable.Range(0, 50), reference);
        Assert.Equal(reference, Order(1, 0));
        Assert.Equal(reference, Order(4, 0));
        Assert.NotEqual(reference, Order(0, 1));
        Assert.NotEqual(reference, Order(0, 0, seed: 10));
    }

    [Fact]
    public void Epoch_AugmentedSamples_DependOnlyOnSeedEpochAndSample()
    {
        var data = new RandomDataset(12, [1, 6, 6], seed: 3);
        float[] Sample(int prefetch, int batchSize, int sample)
        {
            var batches = new Batcher(data, new BatchOptions(batchSize, shuffle: true, seed: 1, prefetch: prefetch, augmentation: Augmentation.Standard)).Epoch(2);
            foreach (var b in batches)
                for (int k = 0; k < b.Size; k++)
                    if (b.SampleIndices[k] == sample) return b.Inputs.ToFloatArray().AsSpan(k * 36, 36).ToArray();
            throw new InvalidOperationException();
        }
        // Batch size changes which batch a sample lands in, not its augmentation.
        Assert.Equal(Sample(0, 5, 7), Sample(3, 4, 7));
    }

    [Fact]
    public void Epoch_Prefetch_BuildsAtMostDepthPlusOneAhead()
    {
        var data = new Counting(100);
        using var e = new Batcher(data, new BatchOptions(1, prefetch: 2)).Epoch().GetEnumerator();
        Assert.True(e.MoveNext());
        Thread.Sleep(200);
        // Consumer holds batch 0; the channel holds ≤ 2; the producer may hold one more waiting to be written.
        Assert.InRange(data.Reads, 1, 4);
    }

    [Fact]
    public void Epoch_FailingSample_SurfacesTheErrorToTheConsumer()
    {
        var batches = new Batcher(new Counting(10, failAt: 6), new BatchOptions(2, prefetch: 2)).Epoch();
        var e = Assert.Throws<LowBitException>(() => batches.ToList());
        Assert.Contains("sample 6 is broken", e.Message);
    }

    [Fact]
    public void Epoch_ConsumerStopsEarly_ProducerStops()
    {
        var data = new Counting(1000);
        foreach (var b in new Batcher(data, new BatchOptions(1, prefetch: 2)).Epoch())
            if (b.Index == 3) break;
        int after = data.Reads;
        Thread.Sleep(100);
        Assert.Equal(after, data.Reads);
        Assert.True(after < 10, $"{after} samples read for 4 batches");
    }

    [Fact]
    public void Constructor_AugmentingNonImageSamples_IsAUsageError()
    {
        var e = Assert.Throws<LowBitException>(() => new Batcher(new RandomDataset(2, [8]), new BatchOptions(1, augmentation: Augmentation.Standard)));
        Assert.Equal(ErrorKind.Usage, e.Kind);
    }
}
