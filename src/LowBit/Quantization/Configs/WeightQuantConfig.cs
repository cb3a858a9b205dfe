using LowBit.Formats;

namespace LowBit.Quantization;

/// <summary>How weight ranges are chosen: the exact min/max, or the clipping that minimizes each slot's squared
/// quantization error (about 80 fake-quantization passes over the weight).</summary>
public enum WeightRange { MinMax, Mse }

/// <summary>
/// Weight quantization: integer format, granularity, scheme and range method. Weights are stored in the exported file as
/// integers of the format's ONNX type (int8, uint8, int4, …) with a DequantizeLinear, so the file shrinks.
/// Only integer formats with an ONNX element type can be stored that way; others are rejected naming the ones that can.
/// </summary>
public sealed record WeightQuantConfig
{
    public INumberFormat Format { get; }
    public WeightGranularity Granularity { get; }
    public QuantScheme Scheme { get; }
    public WeightRange Range { get; }

    public WeightQuantConfig(INumberFormat? format = null, WeightGranularity? granularity = null,
        QuantScheme scheme = QuantScheme.Symmetric, WeightRange range = WeightRange.MinMax)
    {
        Format = format ?? FormatTable.Get("int8");
        Granularity = granularity ?? new WeightGranularity.PerChannel();
        Scheme = scheme;
        Range = range;
        if (Format.IntegerRange is null || Format.OnnxType is null)
            throw new LowBitException(ErrorKind.Usage,
                $"weight format '{Format.Name}' cannot be stored for DequantizeLinear; integer formats that can: {string.Join(", ", StorableFormats())}");
    }

    /// <summary>int8 symmetric per channel (what ONNX Runtime's integer kernels expect).</summary>
    public static WeightQuantConfig Int8PerChannel { get; } = new();

    /// <summary>int4 symmetric in groups of <paramref name="size"/> along K (weight-only LLM-style).</summary>
    public static WeightQuantConfig Int4Group(int size = 32) => new(FormatTable.Get("int4"), new WeightGranularity.Group(size));

    /// <summary>Bits of storage per weight code (8 for int5..int8, 4 for int2..int4).</summary>
    internal int StorageBits => Format.OnnxType is { } t ? Tensors.DTypes.BitsPerElement(t) : 32;

    internal static IEnumerable<string> StorableFormats() =>
        FormatTable.All.Where(f => f.IntegerRange is not null && f.OnnxType is not null).Select(f => f.Name);

    public override string ToString() => $"{Format.Name} {Scheme.ToString().ToLowerInvariant()} {Granularity}{(Range == WeightRange.Mse ? " mse" : "")}";
}
