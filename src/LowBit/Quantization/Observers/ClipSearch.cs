namespace LowBit.Quantization.Observers;

/// <summary>One-dimensional search for the clipping ratio α ∈ [αmin, 1] that minimizes an error: the range [lo, hi] is
/// shrunk to [α·lo, α·hi]. Coarse geometric grid α = 2^(−k/16) (4.4 % steps, fine near 1 and still reaching small ratios
/// for heavy tails), then 16 linear steps across the two grid intervals around the best point. Ties keep the larger α
/// (less clipping).</summary>
internal static class ClipSearch
{
    private const double Ratio = 1.0442737824274138;  // 2^(1/16)

    public static double Minimize(Func<double, double> error, double minAlpha)
    {
        double best = 1, bestErr = error(1);
        for (double a = 1 / Ratio; a >= minAlpha; a /= Ratio)
        {
            double e = error(a);
            if (e < bestErr) (best, bestErr) = (a, e);
        }
        double lo = Math.Max(best / Ratio, minAlpha), hi = Math.Min(best * Ratio, 1);
        for (int k = 0; k <= 16; k++)
        {
            double a = hi - (hi - lo) * k / 16;
            double e = error(a);
            if (e < bestErr) (best, bestErr) = (a, e);
        }
        return best;
    }
}
