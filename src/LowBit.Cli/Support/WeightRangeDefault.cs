using LowBit.Quantization;

namespace LowBit.Cli.Support;

/// <summary>
/// The CLI's default weight range when none is given. Weights of 7 bits (reduce-range, decided for this CPU or forced)
/// or of 4 bits and fewer have too few levels for min-max ranges; MSE-chosen clipping per channel/group recovers part of
/// that (ResNet18 feature cosine, docs/results.md: 7-bit 0.9955 → 0.9966, int4 group:32 weight-only 0.894 → 0.900),
/// while for full 8-bit weights it measured within noise of min-max. So those weights use mse. Shared by
/// <c>lowbit quantize</c> and <c>lowbit demo</c> so that the demo's flags reproduce its models.
/// </summary>
internal static class WeightRangeDefault
{
    /// <summary><paramref name="config"/>'s weights with mse ranges where the rule above asks for them (rebuilt by
    /// <paramref name="make"/>), else <paramref name="config"/> itself.</summary>
    public static QuantizerConfig Apply(QuantizerConfig config, Func<WeightQuantConfig, QuantizerConfig> make)
    {
        var w = config.Weights;
        if (w.Range == WeightRange.Mse || !(w.Format.BitsPerWeight <= 4 || CpuDefaults.Decide(config).ReduceRange)) return config;
        return make(new WeightQuantConfig(w.Format, w.Granularity, w.Scheme, WeightRange.Mse));
    }
}
