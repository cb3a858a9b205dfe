namespace LowBit.Quantization;

/// <summary>
/// The weight range used when none is chosen (one rule for the library and <c>lowbit quantize</c>/<c>demo</c>).
/// Weights of 7 bits (reduce-range, decided for the target CPU or forced) or of 4 bits and fewer have too few levels for
/// min-max ranges; MSE-chosen clipping per channel/group recovers part of that (ResNet18 feature cosine,
/// docs/results.md: 7-bit 0.9955 → 0.9966, int4 group:32 weight-only 0.894 → 0.900), while for full 8-bit weights it
/// measured within noise of min-max. So those weights use mse, all others min-max.
/// </summary>
public static class WeightRangeDefault
{
    /// <summary>True when <paramref name="config"/>'s weights, left to the default, get mse ranges.</summary>
    public static bool PrefersMse(QuantizerConfig config) =>
        config.Weights.Format.BitsPerWeight <= 4 || CpuDefaults.Decide(config).ReduceRange;

    /// <summary><paramref name="config"/>'s weights with mse ranges where the rule asks for them (rebuilt by
    /// <paramref name="make"/>), else <paramref name="config"/> itself; for callers that built min-max weights
    /// explicitly but mean "the default".</summary>
    internal static QuantizerConfig Apply(QuantizerConfig config, Func<WeightQuantConfig, QuantizerConfig> make) =>
        config.Weights.Range == WeightRange.Mse || !PrefersMse(config) ? config : make(config.Weights.WithRange(WeightRange.Mse));
}
