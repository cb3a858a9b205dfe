using LowBit.Cli.Support;
using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Observers;

namespace LowBit.Cli.Demo;

/// <summary>One quantization scheme of the demo: a short id (file and folder names), a display name and its config.</summary>
internal sealed record DemoScheme(string Id, string Name, string Description, QuantizerConfig Config)
{
    public bool NeedsCalibration => Config.Mode == QuantMode.Static;
}

/// <summary>The demo's schemes, all from the public config records: what a user would type as <c>lowbit quantize</c> flags.</summary>
internal static class DemoSchemes
{
    /// <summary>Activation observer of the static schemes (the quantize command's default).</summary>
    public static ObserverConfig Observer { get; } = new ObserverConfig.Mse();

    public static IReadOnlyList<DemoScheme> All { get; } =
    [
        new("w8a8", "W8A8 per-channel", "--weights int8 --granularity per-channel --activations uint8 --calibration mse",
            Static(WeightQuantConfig.Int8PerChannel)),
        new("w8a8-per-tensor", "W8A8 per-tensor", "--weights int8 --granularity per-tensor --activations uint8 --calibration mse",
            Static(new WeightQuantConfig(FormatTable.Get("int8"), new WeightGranularity.PerTensor()))),
        new("w4a8", "W4A8 per-channel", "--weights int4 --granularity per-channel --weight-range mse --activations uint8 --calibration mse",
            Static(new WeightQuantConfig(FormatTable.Get("int4"), new WeightGranularity.PerChannel(), range: WeightRange.Mse))),
        new("w8-weight-only", "W8 weight-only", "--weights int8 --granularity per-channel --activations none",
            new QuantizerConfig(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel)),
    ];

    private static ActivationQuantConfig Activations() => new(FormatTable.Get("uint8"), QuantScheme.Asymmetric, Observer);

    /// <summary>A static scheme with the weight range <c>lowbit quantize</c> would pick for these flags on this CPU
    /// (mse for 7-bit reduce-range weights), so the printed flags reproduce the demo's model.</summary>
    private static QuantizerConfig Static(WeightQuantConfig weights) =>
        WeightRangeDefault.Apply(new QuantizerConfig(QuantMode.Static, weights, Activations()),
            w => new QuantizerConfig(QuantMode.Static, w, Activations()));
}
