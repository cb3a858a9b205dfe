using LowBit.Tensors;

namespace LowBit.Data;

/// <summary>
/// A finite, indexed collection of float32 samples that all have one shape (<see cref="SampleShape"/>, no batch
/// dimension; images are [C,H,W]), with optional integer labels in [0, <see cref="ClassNames"/>.Count).
/// <see cref="ReadSample"/> and <see cref="GetLabel"/> must be safe to call from several threads at once.
/// </summary>
public abstract class Dataset
{
    /// <summary>Short description used in messages, e.g. "fashion-mnist:test" or "images=photos/".</summary>
    public abstract string Name { get; }

    public abstract int Count { get; }

    /// <summary>Shape of one sample, without the batch dimension. Do not mutate.</summary>
    public abstract int[] SampleShape { get; }

    /// <summary>Class names, indexed by label; null when the dataset is unlabelled.</summary>
    public virtual IReadOnlyList<string>? ClassNames => null;

    /// <summary>Non-fatal problems found while opening (e.g. unreadable images that were skipped).</summary>
    public virtual IReadOnlyList<string> Warnings => [];

    public bool HasLabels => ClassNames is not null;

    /// <summary>Elements in one sample: the product of <see cref="SampleShape"/>.</summary>
    public int SampleLength => (int)Tensor.ElementCount(SampleShape);

    /// <summary>Writes sample <paramref name="index"/> (row-major, <see cref="SampleLength"/> floats) into
    /// <paramref name="destination"/>.</summary>
    public abstract void ReadSample(int index, Span<float> destination);

    /// <summary>Label of sample <paramref name="index"/>; only for labelled datasets.</summary>
    public virtual int GetLabel(int index) =>
        throw new InvalidOperationException($"{Name} has no labels");

    /// <summary>One sample as a new float32 tensor of <see cref="SampleShape"/>.</summary>
    public Tensor GetSample(int index)
    {
        CheckIndex(index);
        var data = new float[SampleLength];
        ReadSample(index, data);
        return Tensor.FromArray(data, SampleShape);
    }

    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"{Name}: sample {index} is outside [0, {Count})");
    }

    protected void CheckDestination(Span<float> destination)
    {
        if (destination.Length < SampleLength)
            throw new ArgumentException($"{Name}: destination holds {destination.Length} floats, a sample needs {SampleLength}");
    }

    public override string ToString() =>
        $"{Name}: {Count} samples of [{string.Join(",", SampleShape)}]" + (HasLabels ? $", {ClassNames!.Count} classes" : "");
}
