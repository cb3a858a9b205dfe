using System.Collections;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Data.Inputs;

/// <summary>
/// A finite, indexed sequence of model calls: sample i is one dictionary of input tensors, each already in its input's
/// dtype and a shape the input accepts (batch of 1 where the input has a batch dim). Unlike <see cref="Dataset"/>,
/// inputs may be several, of any dtype, and of a different shape per sample (dynamic dims). Enumerating yields samples
/// 0..Count−1 in order, which is what streaming calibration needs (chunk i+1 follows chunk i).
/// <see cref="Read"/> must be safe to call from several threads at once.
/// </summary>
public abstract class SampleSource : IReadOnlyCollection<IReadOnlyDictionary<string, Tensor>>
{
    /// <summary>Short description for messages and cache keys, e.g. "npz=calib/" or "npy=x:chunks/,sr=const:16000".</summary>
    public abstract string Name { get; }

    public abstract int Count { get; }

    /// <summary>The model inputs every sample holds.</summary>
    public abstract IReadOnlyList<string> InputNames { get; }

    /// <summary>Non-fatal problems found while opening.</summary>
    public virtual IReadOnlyList<string> Warnings => [];

    /// <summary>Sample <paramref name="index"/> as model inputs.</summary>
    public abstract IReadOnlyDictionary<string, Tensor> Read(int index);

    /// <summary>The first <paramref name="count"/> samples (all when fewer), lazily, with a known count.</summary>
    public SampleSource Take(int count) => count >= Count ? this : new Prefix(this, count);

    /// <summary>Samples in order, read ahead by one background reader (two samples deep) so decoding overlaps the
    /// model run; order is kept, so streamed state stays in sequence.</summary>
    public IEnumerator<IReadOnlyDictionary<string, Tensor>> GetEnumerator() => Prefetch.Run(Count, Read, depth: 2).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"{Name}: sample {index} is outside [0, {Count})");
    }

    public override string ToString() => $"{Name}: {Count} samples of {string.Join(", ", InputNames)}";

    /// <summary>Adapts a single-input <see cref="Dataset"/>: sample i is its float32 sample with a batch dim of 1.</summary>
    public static SampleSource FromDataset(Dataset data, ValueInfo input) => new DatasetSource(data, input);

    private sealed class Prefix(SampleSource inner, int count) : SampleSource
    {
        public override string Name => $"{inner.Name}[0:{count}]";
        public override int Count => count;
        public override IReadOnlyList<string> InputNames => inner.InputNames;
        public override IReadOnlyList<string> Warnings => inner.Warnings;

        public override IReadOnlyDictionary<string, Tensor> Read(int index)
        {
            CheckIndex(index);
            return inner.Read(index);
        }
    }

    private sealed class DatasetSource : SampleSource
    {
        private readonly Dataset data;
        private readonly ValueInfo input;

        public DatasetSource(Dataset data, ValueInfo input)
        {
            DataValidation.CheckMatches(data, input, 1);
            this.data = data;
            this.input = input;
        }

        public override string Name => data.Name;
        public override int Count => data.Count;
        public override IReadOnlyList<string> InputNames => [input.Name];
        public override IReadOnlyList<string> Warnings => data.Warnings;

        public override IReadOnlyDictionary<string, Tensor> Read(int index)
        {
            var t = data.GetSample(index);
            return new Dictionary<string, Tensor>(1) { [input.Name] = t.Reshape([1, .. t.Shape]) };
        }
    }
}
