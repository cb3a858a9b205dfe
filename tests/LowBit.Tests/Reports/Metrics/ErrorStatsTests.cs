using LowBit.Reports.Metrics;

namespace LowBit.Tests.Reports.Metrics;

public class ErrorStatsTests
{
    // x = [1,2,3,4], y = [1,2,3,5]: Σx² = 30, Σ(x−y)² = 1, Σxy = 34, Σy² = 39.
    private static ErrorStats Example()
    {
        var s = new ErrorStats();
        s.Add([1f, 2f, 3f, 4f], [1f, 2f, 3f, 5f]);
        return s;
    }

    [Fact]
    public void Sqnr_HandComputed_MatchesTenLog10()
    {
        // Exact small integers: float32 sums are exact, so only the log's rounding remains (1e-12).
        Assert.Equal(10 * Math.Log10(30), Example().Sqnr, 1e-12);
    }

    [Fact]
    public void Cosine_HandComputed_Matches()
    {
        Assert.Equal(34 / Math.Sqrt(30 * 39), Example().Cosine, 1e-12);
    }

    [Fact]
    public void MaxAbsError_HandComputed_IsLargestDifference()
    {
        var s = Example();
        Assert.Equal(1, s.MaxAbsError);
        Assert.Equal(4, s.Count);
    }

    [Fact]
    public void Sqnr_Identical_IsPositiveInfinity()
    {
        var s = new ErrorStats();
        s.Add([0.5f, -3f], [0.5f, -3f]);
        Assert.Equal(double.PositiveInfinity, s.Sqnr);
        Assert.Equal(1, s.Cosine, 12);
    }

    [Fact]
    public void Sqnr_ZeroReferenceWithNoise_IsNegativeInfinity()
    {
        var s = new ErrorStats();
        s.Add([0f, 0f], [1f, 0f]);
        Assert.Equal(double.NegativeInfinity, s.Sqnr);
        Assert.Equal(0, s.Cosine);
    }

    [Fact]
    public void Cosine_BothZero_IsOne()
    {
        var s = new ErrorStats();
        s.Add([0f, 0f], [0f, 0f]);
        Assert.Equal(1, s.Cosine);
        Assert.Equal(double.PositiveInfinity, s.Sqnr);
    }

    [Fact]
    public void Add_NonFinitePair_IsSkippedAndCounted()
    {
        var s = new ErrorStats();
        s.Add([1f, float.NaN, 2f, 3f], [1f, 5f, 2f, float.PositiveInfinity]);
        Assert.Equal(2, s.Count);
        Assert.Equal(2, s.NonFinite);
        Assert.Equal(double.PositiveInfinity, s.Sqnr);
        Assert.Equal(5, s.SignalEnergy, 12);
    }

    [Fact]
    public void Add_ManyChunks_MatchesFloat64Reference()
    {
        // 10 000 values span three vectorized chunks; float32 chunk sums stay within 1e-5 relative of float64 sums
        // for values of one sign scale (bound ~4096·2⁻²⁴ ≈ 2.4e-4, typical error far smaller).
        var rng = new Random(5);
        var x = new float[10_000];
        var y = new float[x.Length];
        double xx = 0, dd = 0;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(rng.NextDouble() * 2 - 1);
            y[i] = x[i] + (float)(0.01 * (rng.NextDouble() - 0.5));
            xx += (double)x[i] * x[i];
            double d = (double)x[i] - y[i];
            dd += d * d;
        }
        var s = new ErrorStats();
        s.Add(x, y);
        Assert.Equal(xx, s.SignalEnergy, xx * 1e-5);
        Assert.Equal(dd, s.NoiseEnergy, dd * 1e-4);
        Assert.Equal(10 * Math.Log10(xx / dd), s.Sqnr, 1e-3);
    }

    [Fact]
    public void Add_Merge_EqualsAddingAll()
    {
        var a = new ErrorStats();
        a.Add([1f, 2f], [1f, 2f]);
        var b = new ErrorStats();
        b.Add([3f, 4f], [3f, 5f]);
        a.Add(b);
        var all = Example();
        Assert.Equal(all.Sqnr, a.Sqnr, 12);
        Assert.Equal(all.Cosine, a.Cosine, 12);
        Assert.Equal(all.MaxAbsError, a.MaxAbsError);
        Assert.Equal(all.Count, a.Count);
    }

    [Fact]
    public void Add_LengthMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ErrorStats().Add([1f], [1f, 2f]));
    }
}
