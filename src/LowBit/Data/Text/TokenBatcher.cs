using LowBit.Tensors;

namespace LowBit.Data.Text;

/// <summary>One batch of token sequences: inputs and next-token targets, both int64 [B,T].</summary>
public sealed record TokenBatch(int Index, Tensor Inputs, Tensor Targets, int[] SequenceIndices)
{
    public int Size => SequenceIndices.Length;
}

/// <summary>Cuts a <see cref="TokenDataset"/> into batches per <see cref="BatchOptions"/> (augmentation not allowed).</summary>
public sealed class TokenBatcher
{
    public TokenDataset Dataset { get; }
    public BatchOptions Options { get; }
    public int BatchCount => Options.BatchCount(Dataset.Count);
    public int SamplesPerEpoch => Options.SamplesPerEpoch(Dataset.Count);

    public TokenBatcher(TokenDataset dataset, BatchOptions options)
    {
        if (options.Augmentation is not null) throw new LowBitException(ErrorKind.Usage, $"{dataset.Name}: augmentation applies to images, not text");
        Dataset = dataset;
        Options = options;
    }

    public IEnumerable<TokenBatch> Epoch(int epoch = 0)
    {
        var order = Options.Order(Dataset.Count, epoch);
        return Prefetch.Run(BatchCount, b => Build(order, b), Options.Prefetch);
    }

    public TokenBatch Build(int[] order, int index)
    {
        int b = Options.BatchSize, start = index * b, size = Math.Min(b, order.Length - start);
        if (index < 0 || size <= 0) throw new ArgumentOutOfRangeException(nameof(index));
        var indices = order.AsSpan(start, size).ToArray();
        int t = Dataset.SequenceLength;
        var inputs = new long[size * t];
        var targets = new long[size * t];
        for (int k = 0; k < size; k++) Dataset.Read(indices[k], inputs.AsSpan(k * t, t), targets.AsSpan(k * t, t));
        return new TokenBatch(index, Tensor.FromArray(inputs, size, t), Tensor.FromArray(targets, size, t), indices);
    }
}
