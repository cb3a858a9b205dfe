using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Data.Inputs;

/// <summary>
/// Random samples for every needed input at its declared shape (symbolic dims 1): floats uniform in [−1, 1), integers
/// uniform in [0, 10), bools a fair coin. Sample i is drawn from a generator seeded by (seed, i), so any sample can be read
/// alone and reads are reproducible.
/// </summary>
public sealed class RandomSource : SampleSource
{
    private readonly ValueInfo[] inputs;
    private readonly ulong seed;

    public override string Name { get; }
    public override int Count { get; }
    public override IReadOnlyList<string> InputNames { get; }

    public RandomSource(string name, IReadOnlyList<ValueInfo> inputs, int count, ulong seed)
    {
        foreach (var v in inputs)
            if (v.NonTensorType is not null || v.DType is DType.Undefined or DType.String || v.Shape is null)
                throw new LowBitException(ErrorKind.InvalidInput, $"{name}: input '{v.Name}' ({v.NonTensorType ?? v.DType.Name()} {v.ShapeString}) cannot be filled with random data");
        Name = name;
        this.inputs = inputs.ToArray();
        InputNames = inputs.Select(v => v.Name).ToArray();
        Count = count;
        this.seed = seed;
    }

    public override IReadOnlyDictionary<string, Tensor> Read(int index)
    {
        CheckIndex(index);
        var rng = new Random(unchecked((int)((seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)index * 0xBF58476D1CE4E5B9UL) >> 17)));
        var sample = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var v in inputs)
        {
            var t = Tensor.Zeros(v.DType, v.Shape!.Select(d => d.Value is long k ? checked((int)k) : 1).ToArray());
            bool isFloat = v.DType.IsFloat();
            for (int i = 0; i < t.Length; i++)
                t.SetDouble(i, v.DType == DType.Bool ? rng.Next(2) : isFloat ? rng.NextDouble() * 2 - 1 : rng.Next(10));
            sample[v.Name] = t;
        }
        return sample;
    }
}
