using LowBit.Formats;
using LowBit.Tensors;

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

    /// <summary>True when no range was given: <see cref="QuantizerConfig"/> then applies <see cref="WeightRangeDefault"/>
    /// (mse for ≤ 4-bit and 7-bit reduce-range weights, else min-max), the same rule as the CLI.</summary>
    public bool RangeIsDefault { get; }

    /// <param name="range">Null = the default rule (<see cref="WeightRangeDefault"/>); <see cref="Range"/> reads
    /// min-max until a <see cref="QuantizerConfig"/> resolves it.</param>
    public WeightQuantConfig(INumberFormat? format = null, WeightGranularity? granularity = null,
        QuantScheme scheme = QuantScheme.Symmetric, WeightRange? range = null)
    {
        Format = format ?? FormatTable.Get("int8");
        Granularity = granularity ?? new WeightGranularity.PerChannel();
        Scheme = scheme;
        Range = range ?? WeightRange.MinMax;
        RangeIsDefault = range is null;
        if (Format.IntegerRange is null || Format.OnnxType is null)
            throw new LowBitException(ErrorKind.Usage,
                $"weight format '{Format.Name}' cannot be stored for DequantizeLinear; integer formats that can: {string.Join(", ", StorableFormats())}");
    }

    /// <summary>The same weights with an explicit range.</summary>
    public WeightQuantConfig WithRange(WeightRange range) => new(Format, Granularity, Scheme, range);

    /// <summary>int8 symmetric per channel (what ONNX Runtime's integer kernels expect).</summary>
    public static WeightQuantConfig Int8PerChannel { get; } = new();

    /// <summary>int4 symmetric in groups of <paramref name="size"/> along K (weight-only LLM-style).</summary>
    public static WeightQuantConfig Int4Group(int size = 32) => new(FormatTable.Get("int4"), new WeightGranularity.Group(size));

    /// <summary>Bits of storage per weight code (8 for int5..int8, 4 for int2..int4).</summary>
    internal int StorageBits => Format.OnnxType is { } t ? Tensors.DTypes.BitsPerElement(t) : 32;

    /// <summary>Null when each code fills its ONNX element type; otherwise a one-line note that the codes sit in a wider
    /// container (int2/int3 in int4, int5..int7 in int8): the file is as large as the container's, only the value grid is
    /// narrower. <paramref name="what"/> names the tensors ("weights", "activations").</summary>
    public static string? ContainerNote(INumberFormat format, string what) =>
        format is IntFormat { Bits: var bits } && format.OnnxType is { } t && Tensors.DTypes.BitsPerElement(t) is var stored && bits < stored
            ? $"{format.Name} {what} are stored in {stored}-bit containers ({t.Name()}): the file is as large as with {stored}-bit codes; only {1 << bits} of the {1 << stored} code values are used"
            : null;

    internal static IEnumerable<string> StorableFormats() =>
        FormatTable.All.Where(f => f.IntegerRange is not null && f.OnnxType is not null).Select(f => f.Name);

    public override string ToString() => $"{Format.Name} {Scheme.ToString().ToLowerInvariant()} {Granularity}{(Range == WeightRange.Mse ? " mse" : "")}";
}
