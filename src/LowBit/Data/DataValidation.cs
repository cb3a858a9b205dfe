using System.Numerics.Tensors;
using LowBit.Data.Text;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Data;

/// <summary>Checks that data fits a model input, and that samples hold only finite values.</summary>
public static class DataValidation
{
    /// <summary>The per-sample shape a model input expects: its dims after the first (batch) dim. Every one of them
    /// must be known; a symbolic or unknown dim is an error naming the input (give the shape explicitly).</summary>
    public static int[] SampleShapeFor(ValueInfo input)
    {
        if (input.Shape is null || input.Shape.Length == 0)
            throw new LowBitException(ErrorKind.InvalidInput, $"model input '{input.Name}' has shape {input.ShapeString}: no batch dimension to take samples along");
        var dims = input.Shape[1..];
        if (dims.Any(d => d.Value is null))
            throw new LowBitException(ErrorKind.InvalidInput, $"model input '{input.Name}' has shape {input.ShapeString}: sample dims after the batch dim must be known");
        return dims.Select(d => checked((int)d.Value!.Value)).ToArray();
    }

    /// <summary>
    /// Throws a one-line <see cref="LowBitException"/> unless <paramref name="data"/>'s float32 samples, batched
    /// <paramref name="batchSize"/> at a time, fit <paramref name="input"/>: float32, same rank + 1, each known dim equal
    /// (symbolic dims match anything), and a fixed batch dim equal to the batch size.
    /// </summary>
    public static void CheckMatches(Dataset data, ValueInfo input, int batchSize = 1)
    {
        string got = $"{data.Name} gives float32 samples [{string.Join(",", data.SampleShape)}]";
        if (input.DType != DType.Float32)
            throw new LowBitException(ErrorKind.InvalidInput, $"model input '{input.Name}' expects {input.DType.Name()} {input.ShapeString}; {got}");
        CheckShape(input, data.SampleShape, batchSize, got);
    }

    /// <summary>As <see cref="CheckMatches(Dataset, ValueInfo, int)"/> for token sequences: int64 [B,T].</summary>
    public static void CheckMatches(TokenDataset data, ValueInfo input, int batchSize = 1)
    {
        string got = $"{data.Name} gives int64 token sequences [{data.SequenceLength}]";
        if (input.DType != DType.Int64)
            throw new LowBitException(ErrorKind.InvalidInput, $"model input '{input.Name}' expects {input.DType.Name()} {input.ShapeString}; {got}");
        CheckShape(input, [data.SequenceLength], batchSize, got);
    }

    private static void CheckShape(ValueInfo input, int[] sample, int batchSize, string got)
    {
        if (!input.Accepts([batchSize, .. sample]))
        {
            string why = input.Shape is { Length: > 0 } s && s.Length == sample.Length + 1 && s[0].Value is long b && b != batchSize
                && input.Accepts([(int)b, .. sample])
                ? $" (its batch dim is fixed at {b}, batch size is {batchSize})" : "";
            throw new LowBitException(ErrorKind.InvalidInput, $"model input '{input.Name}' expects {input.DType.Name()} {input.ShapeString}{why}; {got}");
        }
    }

    /// <summary>Index of the first NaN or ±Inf in <paramref name="values"/>, or −1. Vectorized all-finite test first,
    /// so the common clean case is one pass at memory speed.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        if (TensorPrimitives.IsFiniteAll(values)) return -1;
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>Throws <see cref="ErrorKind.InvalidInput"/> naming the dataset sample (from
    /// <see cref="Batch.SampleIndices"/>) and element of the first NaN/Inf in <paramref name="batch"/>.</summary>
    public static void ThrowIfNonFinite(Batch batch, string source)
    {
        var values = batch.Inputs.AsReadOnlySpan<float>();
        int at = IndexOfNonFinite(values);
        if (at < 0) return;
        int n = batch.Size == 0 ? 1 : values.Length / batch.Size;
        throw new LowBitException(ErrorKind.InvalidInput,
            $"{source}: sample {batch.SampleIndices[at / n]} has {values[at]} at element {at % n}");
    }

    /// <summary>
    /// Model inputs batched along their first axis, the first of them dataset sample <paramref name="firstSample"/>:
    /// throws <see cref="ErrorKind.InvalidInput"/> for the first NaN/Inf of a float32 input, naming the sample, the input
    /// and the element (flat index within the sample), as calibration does (<see cref="ThrowIfNonFinite(ReadOnlySpan{float}, string, string, string)"/>).
    /// </summary>
    public static void ThrowIfNonFinite(IReadOnlyDictionary<string, LowBit.Tensors.Tensor> inputs, long firstSample)
    {
        foreach (var (name, t) in inputs)
        {
            if (t.DType != DType.Float32) continue;
            var values = t.AsReadOnlySpan<float>();
            int at = IndexOfNonFinite(values);
            if (at < 0) continue;
            int rows = t.Rank == 0 ? 1 : Math.Max(1, t.Shape[0]);
            int n = Math.Max(1, values.Length / rows);
            throw NonFinite($"sample {firstSample + at / n}", "input", name, values[at], at % n);
        }
    }

    /// <summary>Throws <see cref="ErrorKind.InvalidInput"/> "WHERE: WHAT 'NAME' contains NaN (element i); check the data or
    /// the model" for the first NaN/Inf of <paramref name="values"/>.</summary>
    public static void ThrowIfNonFinite(ReadOnlySpan<float> values, string where, string what, string name)
    {
        int at = IndexOfNonFinite(values);
        if (at >= 0) throw NonFinite(where, what, name, values[at], at);
    }

    private static LowBitException NonFinite(string where, string what, string name, float value, long element) =>
        new(ErrorKind.InvalidInput,
            $"{where}: {what} '{name}' contains {(float.IsNaN(value) ? "NaN" : "Inf")} (element {element}); check the data or the model");

    /// <summary>As <see cref="ThrowIfNonFinite(Batch, string)"/> for one sample read by index.</summary>
    public static void ThrowIfNonFinite(ReadOnlySpan<float> sample, int sampleIndex, string source)
    {
        int at = IndexOfNonFinite(sample);
        if (at >= 0)
            throw new LowBitException(ErrorKind.InvalidInput, $"{source}: sample {sampleIndex} has {sample[at]} at element {at}");
    }
}
