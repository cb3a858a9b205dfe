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
        // Measured on ONNX Runtime 1.31 (tests/LowBit.Cli.Tests/Commands/QuantizeCombinationTests.cs): every model with
        // 4-bit activation codes (int2..int4, uint2..uint4: all stored as tensor(int4/uint4)) is refused at load, since
        // the ops around them (MaxPool, QLinearConv, QLinearMatMul, ...) have no 4-bit kernels. 8- and 16-bit ones run.
        if (Format.OnnxType is { } stored && Tensors.DTypes.BitsPerElement(stored) < 8)
            throw new LowBitException(ErrorKind.Usage,
                $"activation format '{Format.Name}' would be stored as {Tensors.DTypes.Name(stored)}, which ONNX Runtime 1.31 refuses on activations " +
                $"(no MaxPool/QLinearConv/QLinearMatMul kernel takes 4-bit tensors), so the model would not load; nearest that works: " +
                $"activations {(Format is IntFormat { IsSigned: true } ? "int8" : "uint8")} (4-bit weights with 8-bit activations do run)");
    }

    /// <summary>uint8 asymmetric, min-max: ONNX Runtime's x86 default.</summary>
    public static ActivationQuantConfig UInt8 { get; } = new();

    public override string ToString() => $"{Format.Name} {Scheme.ToString().ToLowerInvariant()} {Observer}";
}
