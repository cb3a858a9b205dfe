using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

public class EntropyTests
{
    private static float[] WithOutliers(float[] x, int count, int seed, float lo, float hi, bool signed)
    {
        var r = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            float v = lo + (float)r.NextDouble() * (hi - lo);
            x[r.Next(x.Length)] = signed && r.Next(2) == 0 ? -v : v;
        }
        return x;
    }

    private static ObservedRange Run(IObserver o, float[] x)
    {
        for (int i = 0; i < x.Length; i += 100_000) o.Observe(x.AsSpan(i, Math.Min(100_000, x.Length - i)));
        return o.Compute();
    }

    [Theory]
    [InlineData("uint8", QuantScheme.Asymmetric)]
    [InlineData("int8", QuantScheme.Symmetric)]
    public void Compute_ReluGaussianWithOutliers_ClipsOutliers(string format, QuantScheme scheme)
    {
        // ReLU(N(0,1)): half the mass at 0, tail to ≈ 4.9; 100 outliers in [40, 50] stretch min-max to 50.
        var x = Distributions.Normal(1_000_000, 5).Select(v => Math.Max(v, 0f)).ToArray();
        WithOutliers(x, 100, 6, 40, 50, signed: false);
        var r = Run(new EntropyObserver(FormatTable.Get(format), scheme), x);
        Assert.Equal(0f, r.Min);
        // The threshold drops the outliers (well below 40) yet keeps the bulk: above the 99.9th percentile of
        // ReLU(N(0,1)), 3.09. (A late 49.x outlier doubles this histogram's range to ≈ 98, so the smallest expressible
        // threshold, L bins, is ≈ 6.1 for uint8's 256 levels over 4096 bins.)
        Assert.InRange(r.Max, 3.09f, 15f);
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void Compute_SignedGaussianWithOutliers_SymmetricClip()
    {
        var x = WithOutliers(Distributions.Normal(1_000_000, 7), 100, 8, 40, 50, signed: true);
        var r = Run(new EntropyObserver(FormatTable.Get("int8"), QuantScheme.Symmetric), x);
        Assert.Equal(-r.Min, r.Max);
        Assert.InRange(r.Max, 3.29f, 10f);  // 3.29 = two-sided 99.9th percentile of N(0,1)
    }

    [Fact]
    public void Compute_NoOutliers_KeepsMostOfTheRange()
    {
        // uniform data has no tail to trade away: the divergence is smallest near the full range
        var x = Distributions.StratifiedUniform(1_000_000, 9, 0, 1);
        var r = Run(new EntropyObserver(FormatTable.Get("uint8"), QuantScheme.Asymmetric), x);
        Assert.InRange(r.Max, 0.95f, 1f);
    }

    [Fact]
    public void Compute_TooFewSamples_Warns()
    {
        var o = new EntropyObserver(FormatTable.Get("int8"), QuantScheme.Symmetric);
        o.Observe(Distributions.Normal(5000, 10));
        Assert.Contains(o.Compute().Warnings, w => w.Contains("fewer than 10 per histogram bin"));
    }

    [Fact]
    public void Compute_MoreLevelsThanBins_FallsBackToMinMaxWithWarning()
    {
        var o = new EntropyObserver(FormatTable.Get("int16"), QuantScheme.Symmetric);
        var x = Distributions.Normal(100_000, 11);
        o.Observe(x);
        var r = o.Compute();
        Assert.Equal((x.Min(), x.Max()), (r.Min, r.Max));
        Assert.Contains(r.Warnings, w => w.Contains("min-max"));
    }

    [Fact]
    public void BestBinCount_MassBeyondEveryCandidate_PicksFullRange()
    {
        var counts = new long[16];
        counts[15] = 100;
        Assert.Equal(16, EntropyObserver.BestBinCount(counts, 4));
    }
}
