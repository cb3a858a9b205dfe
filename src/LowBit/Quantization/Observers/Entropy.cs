using LowBit.Formats;

namespace LowBit.Quantization.Observers;

/// <summary>
/// KL-divergence calibration (Migacz 2017, "8-bit Inference with TensorRT"): a histogram of |x| on [0, max|x|] (2048 bins
/// as TensorRT, 4096 for 8-bit unsigned grids: see the constructor);
/// for each candidate i ≥ L (L = grid levels covering [0, T]) the threshold T = i·w is scored by KL(P ‖ Q):
/// <code>
/// bins      |b0 b1 ... b(i−1)| b(i) ... b(N−1)      (w = bin width, N = 2048)
/// P (ref)   |b0 b1 ... b(i−1) + Σ b(i..N−1)|         outliers folded into the last kept bin
/// Q (cand)  |&lt;- group 0 -&gt;|...|&lt;- group L−1 -&gt;|   b0..b(i−1) merged into L groups (edges ⌊j·i/L⌋),
///                                                each group's mass spread evenly over its non-empty bins
/// </code>
/// Q is mixed with 10⁻⁴ of the uniform distribution so KL stays finite where P has mass Q lacks (the folded outliers).
/// Bin 0 (the zero spike of post-ReLU data) takes bin 1's count first (<see cref="WithoutZeroSpike"/>). The smallest divergence wins,
/// but never below the (1 − <see cref="MaxClippedFraction"/>) quantile of |x| (see <see cref="Compute"/>). L = qmax − qmin + 1 for non-negative data (post-ReLU) with the asymmetric scheme,
/// ⌊(qmax − qmin)/2⌋ + 1 otherwise (128 for int8, as TensorRT); signed data clip to [−T, T]. Thresholds below L bins
/// cannot be expressed, and a growing histogram may span up to 2× the data (see <see cref="Histogram"/>). Fewer than 10 values per
/// bin on average give a warning; grids without an integer range, or with L ≥ N, fall back to min-max with a warning.
/// </summary>
internal sealed class EntropyObserver : IObserver
{
    public const int SamplesPerBin = 10;
    /// <summary>Largest share of the values a threshold may clip.</summary>
    public const double MaxClippedFraction = 1e-3;
    private const double UniformMix = 1e-4;

    private readonly INumberFormat format;
    private readonly QuantScheme scheme;
    private readonly Histogram histogram;
    private RangeStats stats = new();

    /// <param name="bins">Histogram bins; default max(2048, 16·(qmax − qmin + 1)): TensorRT's 16 bins per level, so the
    /// smallest threshold (L bins) is 1/16 of the histogram range for 8-bit grids too.</param>
    public EntropyObserver(INumberFormat format, QuantScheme scheme, int? bins = null)
    {
        this.format = format;
        this.scheme = scheme;
        int levels = format.IntegerRange is { } q ? q.Max - q.Min + 1 : 0;
        histogram = new Histogram(bins ?? Math.Clamp(16 * levels, 2048, 8192), magnitude: true);
    }

    public long Count => stats.Count;
    internal Histogram Histogram => histogram;

    public void Observe(ReadOnlySpan<float> values)
    {
        stats.Add(values);
        histogram.Add(values);
    }

    public ObservedRange Compute()
    {
        var warnings = stats.BaseWarnings();
        var (min, max) = stats.RangeOrZero;
        if (stats.Count == 0 || !histogram.HasRange) return new ObservedRange(min, max, stats.Count, warnings);
        bool nonNegative = min >= 0;
        if (format.IntegerRange is not { } q)
        {
            warnings.Add($"entropy calibration needs a uniform integer grid; {format.Name} is not one, so the min-max range is used");
            return new ObservedRange(min, max, stats.Count, warnings);
        }
        int steps = q.Max - q.Min, levels = nonNegative && scheme == QuantScheme.Asymmetric ? steps + 1 : steps / 2 + 1;
        if (levels >= histogram.BinCount)
        {
            warnings.Add($"{format.Name} has {levels} levels, not fewer than the {histogram.BinCount} histogram bins; the min-max range is used");
            return new ObservedRange(min, max, stats.Count, warnings);
        }
        if (stats.Count < (long)SamplesPerBin * histogram.BinCount)
            warnings.Add($"entropy calibration saw {stats.Count} values, fewer than {SamplesPerBin} per histogram bin ({SamplesPerBin * histogram.BinCount}); the threshold is noisy");
        // KL(P ‖ Q) sees how much mass a threshold clips, never how far it moves it, and it charges a point mass the
        // log of the bins its group smears it over. A tensor dominated by one value away from 0 (the first conv's
        // output over an image's uniform background: half the values) therefore scores best at the smallest threshold
        // (L bins, 1/16 of the histogram): fashion-cnn's block1.relu1 was clipped from 8.02 to 0.62. The floor keeps
        // the 99.9 % bulk: the KL threshold of smooth data with outliers lies above it (the 3.09σ of ReLU(N(0, 1)) and
        // ≈ 4σ at 8 bits), so only degenerate picks move.
        int best = BestBinCount(WithoutZeroSpike(histogram.Counts), levels);
        float t = (float)Math.Max(best * histogram.Width, histogram.Quantile(1 - MaxClippedFraction));
        return nonNegative
            ? new ObservedRange(min, Math.Min(max, t), stats.Count, warnings)
            : new ObservedRange(Math.Max(min, -t), Math.Min(max, t), stats.Count, warnings);
    }

    /// <summary>
    /// The counts with bin 0 replaced by bin 1's, as NVIDIA's pytorch-quantization does before its entropy search.
    /// Post-ReLU tensors put a large share of their values at exactly 0, all in bin 0. Q spreads each group's mass evenly
    /// over its non-empty bins, so whenever group 0 spans more than one bin the spike is smeared and KL grows by about
    /// P(0)·log(bins per group): the search then always picks the smallest threshold (L bins, 1/16 of the histogram),
    /// clipping the bulk of the distribution. Zero is exact on every grid with a zero point, so the spike costs no
    /// quantization error and is left out of the comparison.
    /// </summary>
    internal static long[] WithoutZeroSpike(ReadOnlySpan<long> counts)
    {
        var c = counts.ToArray();
        if (c.Length > 1) c[0] = c[1];
        return c;
    }

    /// <summary>The bin count i ∈ [levels, N] whose threshold i·w minimizes KL(P ‖ Q).</summary>
    internal static int BestBinCount(ReadOnlySpan<long> counts, int levels)
    {
        int n = counts.Length;
        var cum = new long[n + 1];       // cum[k] = Σ counts[0..k)
        var nonEmpty = new int[n + 1];   // nonEmpty[k] = #{j < k : counts[j] > 0}
        for (int k = 0; k < n; k++)
        {
            cum[k + 1] = cum[k] + counts[k];
            nonEmpty[k + 1] = nonEmpty[k] + (counts[k] > 0 ? 1 : 0);
        }
        double total = cum[n];
        int best = n;
        double bestKl = double.PositiveInfinity;
        for (int i = levels; i <= n; i++)
        {
            double kept = cum[i];
            if (kept == 0) continue;
            double outliers = total - kept, kl = 0;
            for (int g = 0; g < levels; g++)
            {
                int start = (int)((long)g * i / levels), end = (int)((long)(g + 1) * i / levels);
                int nz = nonEmpty[end] - nonEmpty[start];
                double perBin = nz == 0 ? 0 : (cum[end] - cum[start]) / kept / nz;
                for (int k = start; k < end; k++)
                {
                    double p = counts[k] + (k == i - 1 ? outliers : 0);
                    if (p == 0) continue;
                    p /= total;
                    double qk = (1 - UniformMix) * (counts[k] > 0 ? perBin : 0) + UniformMix / i;
                    kl += p * Math.Log(p / qk);
                }
            }
            if (kl < bestKl) (bestKl, best) = (kl, i);
        }
        return best;
    }
}
