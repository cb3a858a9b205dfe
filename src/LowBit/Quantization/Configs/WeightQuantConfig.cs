using LowBit.Formats;
using LowBit.Tensors;

namespace LowBit.Quantization;

/// <summary>How weight ranges are chosen: the exact min/max, or the clipping that minimizes each slot's squared
/// quantization error (about 80 fake-quantization passes over the weight), or (symmetric only) the scale set to a slot's
/// mean |w| (BitNet b1.58, arXiv:2402.17764) or median |w| (BitNet b1.58 Reloaded, arXiv:2407.09527): s = m, the range
/// being ±m·max|grid| (Observers/AbsRanges.cs).</summary>
public enum WeightRange { MinMax, Mse, AbsMean, AbsMedian }

/// <summary>
/// Weight quantization: number format, granularity, scheme and range method. Weights are stored in the exported file as
/// integers of the format's ONNX type (int8, uint8, int4, …) with a DequantizeLinear, so the file shrinks.
/// Integer formats with an ONNX element type and FP8 (float8 codes, symmetric, per tensor or per channel) are stored
/// that way; fp4, nf4, binary, pot* and apot* (symmetric, any granularity) as packed codes + lookup table
/// (Qdq/LookupWeights.cs); others are rejected naming the ones that can.
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

    /// <summary>How the scales themselves are represented (<see cref="Quantization.ScaleFormat"/>; default float32).</summary>
    public ScaleFormat ScaleFormat { get; }

    /// <param name="range">Null = the default rule (<see cref="WeightRangeDefault"/>); <see cref="Range"/> reads
    /// min-max until a <see cref="QuantizerConfig"/> resolves it.</param>
    public WeightQuantConfig(INumberFormat? format = null, WeightGranularity? granularity = null,
        QuantScheme scheme = QuantScheme.Symmetric, WeightRange? range = null, ScaleFormat scaleFormat = ScaleFormat.Float32)
    {
        Format = format ?? FormatTable.Get("int8");
        Granularity = granularity ?? new WeightGranularity.PerChannel();
        Scheme = scheme;
        Range = range ?? WeightRange.MinMax;
        RangeIsDefault = range is null;
        ScaleFormat = scaleFormat;
        if (Range is WeightRange.AbsMean or WeightRange.AbsMedian && Scheme == QuantScheme.Asymmetric)
            throw new LowBitException(ErrorKind.Usage,
                $"weight range '{ConfigNames.Name(Range)}' sets a symmetric scale (s = {(Range == WeightRange.AbsMean ? "mean" : "median")} |w|): use the symmetric scheme, not asym");
        CheckStorable(Format, Scheme, "weight");
        if (IsFloat8(Format) && Granularity is WeightGranularity.Group)
            throw new LowBitException(ErrorKind.Usage,
                $"weight format '{Format.Name}' takes per-tensor or per-channel scales; group granularity is for integer formats (use --granularity channel)");
    }

    /// <summary>True for FP8 (E4M3FN, E5M2): stored as ONNX float8 codes with zero point 0 (opset ≥ 19). ONNX Runtime
    /// has no float8 compute kernel on CPU, so it dequantizes them and computes in float (size, not speed).</summary>
    internal static bool IsFloat8(INumberFormat f) =>
        f.IntegerRange is null && f.OnnxType is DType.Float8E4M3FN or DType.Float8E5M2;

    /// <summary>True for the formats exported as packed grid codes + lookup table (fp4, nf4, binary, pot*, apot*: no integer
    /// grid, not FP8): weights only, symmetric (z = 0), Qdq/LookupWeights.cs.</summary>
    internal static bool IsLookup(INumberFormat f) => Qdq.LookupWeights.Applies(f);

    /// <summary>Usage error unless <paramref name="f"/> can be written as <paramref name="what"/> codes: an integer
    /// format with an ONNX type, FP8 with the symmetric scheme (float grids have no zero point), or, for weights only, a
    /// lookup format (symmetric).</summary>
    internal static void CheckStorable(INumberFormat f, QuantScheme scheme, string what)
    {
        bool weight = what == "weight";
        if (IsLookup(f) && !weight)
            throw new LowBitException(ErrorKind.Usage,
                $"{what} format '{f.Name}' is a lookup format (packed codes + table, weights only); {what} formats: {string.Join(", ", StorableFormats(weights: false))}");
        if (IsFloat8(f) || IsLookup(f))
        {
            if (scheme == QuantScheme.Asymmetric)
                throw new LowBitException(ErrorKind.Usage,
                    $"{what} format '{f.Name}' is a {(IsFloat8(f) ? "float" : "non-uniform")} grid with no zero point: use the symmetric scheme (sym), not asym");
            return;
        }
        if (f.IntegerRange is null || f.OnnxType is null)
            throw new LowBitException(ErrorKind.Usage,
                $"{what} format '{f.Name}' cannot be stored in an ONNX file yet; formats that can: {string.Join(", ", StorableFormats(weight))}");
    }

    /// <summary>The same weights with an explicit range.</summary>
    public WeightQuantConfig WithRange(WeightRange range) => new(Format, Granularity, Scheme, range, ScaleFormat);

    /// <summary>int8 symmetric per channel (what ONNX Runtime's integer kernels expect).</summary>
    public static WeightQuantConfig Int8PerChannel { get; } = new();

    /// <summary>int4 symmetric in groups of <paramref name="size"/> along K (weight-only LLM-style).</summary>
    public static WeightQuantConfig Int4Group(int size = 32) => new(FormatTable.Get("int4"), new WeightGranularity.Group(size));

    /// <summary>Bits of storage per weight code (8 for int5..int8, 4 for int2..int4; b for lookup formats, stored packed).</summary>
    internal int StorageBits => IsLookup(Format) ? Qdq.LookupWeights.Bits(Format) : Format.OnnxType is { } t ? Tensors.DTypes.BitsPerElement(t) : 32;

    /// <summary>Null when each code fills its ONNX element type; otherwise a one-line note on how the narrower codes are
    /// stored (int2/int3 use a 4-bit type, int5..int7 an 8-bit one). <paramref name="what"/> names the tensors: "weights"
    /// are exported bit-packed at their width (<c>PackedWeights</c>: ⌈n/8⌉·b bytes plus an unpack subgraph of about 1 KB,
    /// so a tensor whose packing saves under 1 KB keeps the container); anything else (activations, computed at run time)
    /// sits in the wider container, only the value grid being narrower.</summary>
    public static string? ContainerNote(INumberFormat format, string what)
    {
        if (format is not IntFormat { Bits: var bits } || format.OnnxType is not { } own) return null;
        // Activations of 4 bits and fewer sit in an 8-bit type (ActivationQuantConfig.Storage); weights in their own.
        var t = what.StartsWith("weights", StringComparison.Ordinal) ? own : ActivationQuantConfig.Storage(format);
        int stored = Tensors.DTypes.BitsPerElement(t);
        if (bits >= stored) return null;
        return what == "weights"
            ? $"{format.Name} weights are stored bit-packed at {bits} bits per code where that saves ≥ 1 KB per tensor; smaller tensors stay in {stored}-bit containers ({t.Name()})"
            : $"{format.Name} {what} are stored in {stored}-bit containers ({t.Name()}): the file is as large as with {stored}-bit codes; only {1 << bits} of the {1 << stored} code values are used" +
              (what == "activations" ? ", kept on the grid by a Clip before each QuantizeLinear" : "");
    }

    /// <summary>Formats that can be exported: integer formats with an ONNX type and FP8, plus (weights) the lookup formats.</summary>
    internal static IEnumerable<string> StorableFormats(bool weights = true) =>
        FormatTable.All.Where(f => (f.IntegerRange is not null && f.OnnxType is not null) || IsFloat8(f) || (weights && IsLookup(f))).Select(f => f.Name);

    public override string ToString() => $"{Format.Name} {Scheme.ToString().ToLowerInvariant()} {Granularity}{(Range == WeightRange.MinMax ? "" : " " + ConfigNames.Name(Range))}{(ScaleFormat == ScaleFormat.Float32 ? "" : " scales:" + ConfigNames.Name(ScaleFormat))}";
}
