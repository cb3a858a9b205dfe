namespace LowBit.Reports.Metrics;

/// <summary>
/// Streaming central moments of a sequence fed in chunks: count n, mean μ, M₂ = Σ(x − μ)², M₃, M₄, and max |x|.
/// Each chunk is summarized exactly in two passes (mean, then deviations) in float64, then merged into the running totals
/// with the pairwise update of Pébay 2008 (Sandia SAND2008-6212), which stays accurate when |μ| ≫ σ (raw power sums
/// Σx⁴ would cancel catastrophically). For parts a, b with δ = μ_b − μ_a, n = n_a + n_b:
/// <code>
/// M₂ = M₂a + M₂b + δ²·n_a·n_b/n
/// M₃ = M₃a + M₃b + δ³·n_a·n_b·(n_a − n_b)/n² + 3δ·(n_a·M₂b − n_b·M₂a)/n
/// M₄ = M₄a + M₄b + δ⁴·n_a·n_b·(n_a² − n_a·n_b + n_b²)/n³ + 6δ²·(n_a²·M₂b + n_b²·M₂a)/n² + 4δ·(n_a·M₃b − n_b·M₃a)/n
/// </code>
/// Kurtosis (Pearson, not excess) = n·M₄/M₂²: 3 for a Gaussian, 1.8 for a uniform, large when a few values dominate.
/// Non-finite values are counted apart and left out.
/// </summary>
public sealed class Moments
{
    public long Count { get; private set; }
    public long NonFinite { get; private set; }
    public double Mean { get; private set; }
    public double MaxAbs { get; private set; }
    private double m2, m3, m4;

    /// <summary>Population variance M₂/n (0 when empty).</summary>
    public double Variance => Count == 0 ? 0 : m2 / Count;

    /// <summary>n·M₄/M₂²; NaN when fewer than 2 values or all equal.</summary>
    public double Kurtosis => Count < 2 || m2 <= 0 ? double.NaN : Count * m4 / (m2 * m2);

    public void Add(ReadOnlySpan<float> x)
    {
        long n = 0;
        double sum = 0, max = MaxAbs;
        foreach (float v in x)
        {
            if (!float.IsFinite(v)) { NonFinite++; continue; }
            n++;
            sum += v;
            max = Math.Max(max, Math.Abs(v));
        }
        MaxAbs = max;
        if (n == 0) return;
        double mu = sum / n, b2 = 0, b3 = 0, b4 = 0;
        foreach (float v in x)
        {
            if (!float.IsFinite(v)) continue;
            double d = v - mu, d2 = d * d;
            b2 += d2;
            b3 += d2 * d;
            b4 += d2 * d2;
        }
        Merge(n, mu, b2, b3, b4);
    }

    private void Merge(long nbL, double mub, double m2b, double m3b, double m4b)
    {
        if (Count == 0)
        {
            (Count, Mean, m2, m3, m4) = (nbL, mub, m2b, m3b, m4b);
            return;
        }
        double na = Count, nb = nbL, n = na + nb, d = mub - Mean, d2 = d * d;
        double m4n = m4 + m4b + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
            + 6 * d2 * (na * na * m2b + nb * nb * m2) / (n * n) + 4 * d * (na * m3b - nb * m3) / n;
        double m3n = m3 + m3b + d2 * d * na * nb * (na - nb) / (n * n) + 3 * d * (na * m2b - nb * m2) / n;
        m2 = m2 + m2b + d2 * na * nb / n;
        m3 = m3n;
        m4 = m4n;
        Mean += d * nb / n;
        Count += nbL;
    }
}
