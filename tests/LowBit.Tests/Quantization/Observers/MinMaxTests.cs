using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

public class MinMaxTests
{
    [Fact]
    public void Compute_StreamedInChunks_EqualsAllAtOnce()
    {
        var x = Distributions.Normal(100_003, 1);
        var whole = new MinMaxObserver();
        whole.Observe(x);
        var chunked = new MinMaxObserver();
        for (int i = 0; i < x.Length; i += 977) chunked.Observe(x.AsSpan(i, Math.Min(977, x.Length - i)));
        var a = whole.Compute();
        var b = chunked.Compute();
        Assert.Equal(x.Min(), a.Min);
        Assert.Equal(x.Max(), a.Max);
        Assert.Equal((a.Min, a.Max, a.Count), (b.Min, b.Max, b.Count));
        Assert.Equal(x.Length, b.Count);
        Assert.Empty(b.Warnings);
    }

    [Fact]
    public void Compute_NonFiniteValues_IgnoredWithWarning()
    {
        var o = new MinMaxObserver();
        o.Observe([1f, float.NaN, -2f, float.PositiveInfinity]);
        var r = o.Compute();
        Assert.Equal((-2f, 1f, 2L), (r.Min, r.Max, r.Count));
        Assert.Contains(r.Warnings, w => w.Contains("2 NaN/Inf"));
    }

    [Fact]
    public void Compute_NothingObserved_ZeroRangeWithWarning()
    {
        var o = new MinMaxObserver();
        o.Observe([]);
        o.Observe([float.NaN]);
        var r = o.Compute();
        Assert.Equal((0f, 0f, 0L), (r.Min, r.Max, r.Count));
        Assert.Contains(r.Warnings, w => w.Contains("no finite values"));
    }
}
