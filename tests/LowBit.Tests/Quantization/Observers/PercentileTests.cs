using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

/// <summary>Percentiles of stratified data (exact quantiles, no sampling noise), so the only error is the histogram's:
/// at most one bin width.</summary>
public class PercentileTests
{
    private static void ObserveInChunks(IObserver o, float[] x, int chunk = 50_000)
    {
        for (int i = 0; i < x.Length; i += chunk) o.Observe(x.AsSpan(i, Math.Min(chunk, x.Length - i)));
    }

    [Fact]
    public void Compute_UniformMagnitude_WithinOneBin()
    {
        var o = new PercentileObserver(99);
        ObserveInChunks(o, Distributions.StratifiedUniform(1_000_000, 1, 0, 1));
        var r = o.Compute();
        Assert.True(Math.Abs(r.Max - 0.99) <= o.Histogram.Width, $"p99 = {r.Max}, bin width {o.Histogram.Width:G3}");
        Assert.True(r.Min >= 0);
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void Compute_GaussianMagnitude_WithinOneBin()
    {
        var o = new PercentileObserver(99.9);
        ObserveInChunks(o, Distributions.StratifiedNormal(1_000_000, 2));
        var r = o.Compute();
        double expected = Distributions.InverseNormalCdf(0.9995);  // P(|x| ≤ t) = 0.999 ⇔ t = Φ⁻¹(0.9995) ≈ 3.2905
        Assert.True(Math.Abs(r.Max - expected) <= o.Histogram.Width, $"|x| p99.9 = {r.Max}, expected {expected:F4}");
        Assert.Equal(-r.Max, r.Min);
    }

    [Fact]
    public void Compute_BothTails_ClipsEachTailSeparately()
    {
        var o = new PercentileObserver(99, PercentileTails.Both);
        ObserveInChunks(o, Distributions.StratifiedUniform(1_000_000, 3, -1, 3));
        var r = o.Compute();
        Assert.True(Math.Abs(r.Min - -0.96) <= o.Histogram.Width, $"p1 = {r.Min}");
        Assert.True(Math.Abs(r.Max - 2.96) <= o.Histogram.Width, $"p99 = {r.Max}");
    }

    [Fact]
    public void Compute_TooFewSamples_Warns()
    {
        var o = new PercentileObserver(99.99);
        o.Observe(Distributions.Normal(1000, 4));
        var r = o.Compute();
        Assert.Contains(r.Warnings, w => w.Contains("99.99") && w.Contains("100000"));
        var enough = new PercentileObserver(99.99);
        ObserveInChunks(enough, Distributions.Normal(200_000, 4));
        Assert.Empty(enough.Compute().Warnings);
    }

    [Fact]
    public void Compute_Constant_ReturnsTheValue()
    {
        var o = new PercentileObserver(99.9);
        o.Observe([2f, 2f, 2f]);
        var r = o.Compute();
        Assert.InRange(r.Max, 2f - o.Histogram.Width, 2f);  // |x| histograms span [0, 2]: within one bin of 2
    }

    [Fact]
    public void Constructor_OutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PercentileObserver(40));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PercentileObserver(100.5));
    }
}
