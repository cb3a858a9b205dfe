using LowBit.Data;

namespace LowBit.Cli.Support;

/// <summary>Samples [offset, offset + count) of another dataset: the calibration part and the held-out part of one spec
/// never overlap.</summary>
internal sealed class DataSlice : Dataset
{
    private readonly Dataset inner;
    private readonly int offset;

    public DataSlice(Dataset inner, int offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > inner.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"[{offset}, {offset + count}) is outside {inner.Name}'s {inner.Count} samples");
        this.inner = inner;
        this.offset = offset;
        Count = count;
        Name = offset == 0 && count == inner.Count ? inner.Name : $"{inner.Name}[{offset}:{offset + count}]";
    }

    public override string Name { get; }
    public override int Count { get; }
    public override int[] SampleShape => inner.SampleShape;
    public override IReadOnlyList<string>? ClassNames => inner.ClassNames;
    public override IReadOnlyList<string> Warnings => inner.Warnings;

    public override void ReadSample(int index, Span<float> destination)
    {
        CheckIndex(index);
        inner.ReadSample(offset + index, destination);
    }

    public override int GetLabel(int index)
    {
        CheckIndex(index);
        return inner.GetLabel(offset + index);
    }
}
