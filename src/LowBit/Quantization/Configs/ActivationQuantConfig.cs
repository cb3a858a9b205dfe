using LowBit.Formats;
using LowBit.Quantization.Observers;

namespace LowBit.Quantization;

/// <summary>
/// Activation quantization (static mode): integer format, scheme and the observer that picks each tensor's range during
/// calibration. Activations are always per tensor (one QuantizeLinear per tensor, shared by all its readers).
/// </summary>
public sealed record ActivationQuantConfig
{
    public INumberFormat Format { get; }
    public QuantScheme Scheme { get; }
    public ObserverConfig Observer { get; }

    public ActivationQuantConfig(INumberFormat? format = null, QuantScheme scheme = QuantScheme.Asymmetric, ObserverConfig? observer = null)
    {
        Format = format ?? FormatTable.Get("uint8");
        Scheme = scheme;
        Observer = observer ?? new ObserverConfig.MinMax();
        if (Format.IntegerRange is null || Format.OnnxType is null)
            throw new LowBitException(ErrorKind.Usage,
                $"activation format '{Format.Name}' has no ONNX QuantizeLinear output type; integer formats that do: {string.Join(", ", WeightQuantConfig.StorableFormats())}");
    }

    /// <summary>uint8 asymmetric, min-max: ONNX Runtime's x86 default.</summary>
    public static ActivationQuantConfig UInt8 { get; } = new();

    public override string ToString() => $"{Format.Name} {Scheme.ToString().ToLowerInvariant()} {Observer}";
}
