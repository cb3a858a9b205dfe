using LowBit.Tensors;

namespace LowBit.Data;

/// <summary>One batch: inputs [B, …sample shape] float32, labels [B] int64 (null for unlabelled data), and which
/// dataset samples it holds. <see cref="Index"/> counts batches within the epoch from 0.</summary>
public sealed record Batch(int Index, Tensor Inputs, Tensor? Labels, int[] SampleIndices)
{
    public int Size => SampleIndices.Length;
}

/// <summary>Cuts a <see cref="Dataset"/> into batches per <see cref="BatchOptions"/>. Every batch owns fresh tensors.</summary>
public sealed class Batcher
{
    public Dataset Dataset { get; }
    public BatchOptions Options { get; }
    public int BatchCount => Options.BatchCount(Dataset.Count);
    public int SamplesPerEpoch => Options.SamplesPerEpoch(Dataset.Count);

    public Batcher(Dataset dataset, BatchOptions options)
    {
        if (options.Augmentation is not null && dataset.SampleShape.Length is not (2 or 3))
            throw new LowBitException(ErrorKind.Usage, $"{dataset.Name}: augmentation needs image samples [C,H,W], got [{string.Join(",", dataset.SampleShape)}]");
        Dataset = dataset;
        Options = options;
    }

    /// <summary>The batches of epoch <paramref name="epoch"/>, built ahead on a background task.</summary>
    public IEnumerable<Batch> Epoch(int epoch = 0)
    {
        var order = Options.Order(Dataset.Count, epoch);
        return Prefetch.Run(BatchCount, b => Build(order, epoch, b), Options.Prefetch);
    }

    /// <summary>Builds batch <paramref name="index"/> of an epoch whose visiting order is <paramref name="order"/>.</summary>
    public Batch Build(int[] order, int epoch, int index)
    {
        int b = Options.BatchSize, start = index * b, size = Math.Min(b, order.Length - start);
        if (index < 0 || size <= 0) throw new ArgumentOutOfRangeException(nameof(index));
        var indices = order.AsSpan(start, size).ToArray();
        int n = Dataset.SampleLength;
        var inputs = new float[size * n];
        var labels = Dataset.HasLabels ? new long[size] : null;
        for (int k = 0; k < size; k++)
        {
            var dst = inputs.AsSpan(k * n, n);
            Dataset.ReadSample(indices[k], dst);
            Options.Augmentation?.Apply(dst, Dataset.SampleShape, Options.AugmentationSeed(epoch, indices[k]));
            if (labels is not null) labels[k] = Dataset.GetLabel(indices[k]);
        }
        return new Batch(index, Tensor.FromArray(inputs, [size, .. Dataset.SampleShape]),
            labels is null ? null : Tensor.FromArray(labels, size), indices);
    }
}
