using LowBit.Reports.Metrics;

namespace LowBit.Tests.Reports.Metrics;

public class MomentsTests
{
    /// <summary>Two-pass kurtosis n·Σd⁴/(Σd²)² in double: the scalar reference.</summary>
    private static double Kurtosis(float[] x)
    {
        double mu = x.Average(v => (double)v), m2 = 0, m4 = 0;
        foreach (var v in x) { double d = v - mu; m2 += d * d; m4 += d * d * d * d; }
        return x.Length * m4 / (m2 * m2);
    }

    private static Moments Feed(float[] x, params int[] chunks)
    {
        var m = new Moments();
        int at = 0, k = 0;
        while (at < x.Length)
        {
            int n = Math.Min(chunks[k++ % chunks.Length], x.Length - at);
            m.Add(x.AsSpan(at, n));
            at += n;
        }
        return m;
    }

    private static float[] Gaussian(int n, double mean, double std, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(mean + std * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();
    }

    [Fact]
    public void Kurtosis_GaussianFarFromZeroInUnevenChunks_IsThreeAndMatchesTwoPass()
    {
        // n = 200k: the standard error of the sample kurtosis is √(24/n) ≈ 0.011, so ±0.06 is > 5σ. Mean 1000 ≫ σ 2 checks
        // the merge does not cancel; chunk-merged vs one two-pass: 1e-9 relative (float64 rounding only).
        var x = Gaussian(200_000, 1000, 2, seed: 1);
        var m = Feed(x, 7, 4096, 1, 333);
        Assert.Equal(3, m.Kurtosis, 0.06);
        Assert.Equal(Kurtosis(x), m.Kurtosis, 1e-9 * Kurtosis(x));
        Assert.Equal(x.Average(v => (double)v), m.Mean, 1e-9);
        Assert.Equal(x.Max(v => Math.Abs(v)), m.MaxAbs);
    }

    [Fact]
    public void Kurtosis_OneSpikeAmongZeros_IsExact()
    {
        // n − 1 zeros and one value a: kurtosis = (n² − 3n + 3)/(n − 1), independent of a (997.002… for n = 1000).
        const int n = 1000;
        var x = new float[n];
        x[123] = -7.5f;
        var m = Feed(x, 100, 17);
        Assert.Equal((n * (double)n - 3 * n + 3) / (n - 1), m.Kurtosis, 1e-9);
        Assert.Equal(7.5, m.MaxAbs);
    }

    [Fact]
    public void Kurtosis_Laplace_IsSix()
    {
        // Laplace (double exponential): kurtosis 6; its sampling error at n = 400k is ≈ √(kurt. var)/√n ≈ 0.05, ±0.3 is safe.
        var rng = new Random(3);
        var x = Enumerable.Range(0, 400_000).Select(_ => (float)((rng.Next(2) * 2 - 1) * -Math.Log(1 - rng.NextDouble()))).ToArray();
        Assert.Equal(6, Feed(x, 5000).Kurtosis, 0.3);
    }

    [Fact]
    public void Add_NonFinite_CountedAndLeftOut()
    {
        var m = new Moments();
        m.Add([1f, float.NaN, -1f, float.PositiveInfinity]);
        Assert.Equal(2, m.Count);
        Assert.Equal(2, m.NonFinite);
        Assert.Equal(1.0, m.Kurtosis, 12);  // ±1 equally: the minimum kurtosis 1
        Assert.Equal(1.0, m.MaxAbs);
    }
}
