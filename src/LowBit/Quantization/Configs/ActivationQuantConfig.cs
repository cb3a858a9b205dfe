using LowBit.Formats;
using LowBit.Quantization.Observers;

namespace LowBit.Quantization;

/// <summary>
/// Activation quantization (static mode): integer or FP8 format, scheme and the observer that picks each tensor's range during
/// calibration. Activations are always per tensor (one QuantizeLinear per tensor, shared by all its readers).
/// </summary>
public sealed record ActivationQuantConfig
{
    public INumberFormat Format { get; }
    public QuantScheme Scheme { get; }
    public ObserverConfig Observer { get; }

    /// <param name="scheme">Null = asymmetric for integer formats, symmetric for FP8 (which has no zero point).</param>
    public ActivationQuantConfig(INumberFormat? format = null, QuantScheme? scheme = null, ObserverConfig? observer = null)
    {
        Format = format ?? FormatTable.Get("uint8");
        Scheme = scheme ?? (WeightQuantConfig.IsFloat8(Format) ? QuantScheme.Symmetric : QuantScheme.Asymmetric);
        Observer = observer ?? new ObserverConfig.MinMax();
        WeightQuantConfig.CheckStorable(Format, Scheme, "activation");
    }

    /// <summary>
    /// The ONNX type activation codes are stored in. ONNX Runtime 1.31 refuses every model with 4-bit activation tensors
    /// (no MaxPool/QLinearConv/QLinearMatMul kernel takes tensor(int4/uint4); measured in
    /// tests/LowBit.Cli.Tests/Commands/QuantizeCombinationTests.cs), so int2..int4 and uint2..uint4 activations use the
    /// 8-bit type of the same signedness, their narrower grid kept by a Clip to [s·(qmin − z), s·(qmax − z)] before the
    /// QuantizeLinear (<see cref="IsNarrowerThanStorage"/>).
    /// </summary>
    internal static Tensors.DType Storage(INumberFormat f) => f.OnnxType switch
    {
        Tensors.DType.Int4 => Tensors.DType.Int8,
        Tensors.DType.UInt4 => Tensors.DType.UInt8,
        { } t => t,
        null => throw new NotSupportedException($"{f.Name} has no ONNX element type"),
    };

    /// <summary>Whether an integer activation grid is narrower than its storage type, so QuantizeLinear's saturation alone
    /// would not keep the codes on it (uint4 in uint8, int8-narrow in int8, uint6 in uint8, ...).</summary>
    internal static bool IsNarrowerThanStorage(INumberFormat f) =>
        f.IntegerRange is { } r && (r.Min, r.Max) != Onnx.Ops.QuantMath.Range(Storage(f));

    /// <summary>uint8 asymmetric, min-max: ONNX Runtime's x86 default.</summary>
    public static ActivationQuantConfig UInt8 { get; } = new();

    public override string ToString() => $"{Format.Name} {Scheme.ToString().ToLowerInvariant()} {Observer}";
}
