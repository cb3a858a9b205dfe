namespace LowBit.Data;

/// <summary>
/// Data-free smoke-run samples: <see cref="Count"/> samples of a given shape, elements uniform in [0,1). Sample i is a
/// function of (seed, i) alone (SplitMix64 stream <c>Rng.Derive(seed, i)</c>), whatever order it is read in.
/// </summary>
public sealed class RandomDataset : Dataset
{
    public const int DefaultCount = 64;
    private readonly ulong seed;

    public override string Name { get; }
    public override int Count { get; }
    public override int[] SampleShape { get; }

    public RandomDataset(int count, int[] sampleShape, ulong seed = 0)
    {
        if (count < 0) throw new LowBitException(ErrorKind.Usage, $"random:{count}: the count must be ≥ 0");
        _ = Tensors.Tensor.ElementCount(sampleShape);
        Name = $"random:{count}";
        Count = count;
        SampleShape = (int[])sampleShape.Clone();
        this.seed = seed;
    }

    public override void ReadSample(int index, Span<float> destination)
    {
        CheckIndex(index);
        CheckDestination(destination);
        var rng = new Rng(Rng.Derive(seed, index));
        int n = SampleLength;
        for (int i = 0; i < n; i++) destination[i] = rng.NextFloat();
    }
}
