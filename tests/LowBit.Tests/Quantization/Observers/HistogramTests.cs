using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

public class HistogramTests
{
    [Fact]
    public void Add_TenMillionValuesInChunks_StorageNeverGrows()
    {
        var h = new Histogram(2048);
        var storage = h.Storage;
        var r = new Random(1);
        var chunk = new float[100_000];
        for (int c = 0; c < 100; c++)
        {
            double spread = 1 + c;  // the range keeps widening, forcing merges
            for (int i = 0; i < chunk.Length; i++) chunk[i] = (float)((r.NextDouble() * 2 - 1) * spread);
            h.Add(chunk);
        }
        Assert.Equal(10_000_000, h.Total);
        Assert.Same(storage, h.Storage);
        Assert.Equal(2048, h.BinCount);
        Assert.Equal(2048, h.Storage.Length);
        long sum = 0;
        foreach (long n in h.Counts) sum += n;
        Assert.Equal(h.Total, sum);
    }

    [Fact]
    public void Add_GrowingRange_MergesWithoutLosingCountsOrMovingValues()
    {
        var h = new Histogram(8);
        h.Add([0f, 1f]);                 // range [0, 1], width 1/8
        h.Add([0.0625f, 0.5625f]);
        h.Add([3.5f]);                   // k = 4: [0, 4], width 1/2
        h.Add([-3f]);                    // m = 6 bins left, k = 2: [−3, 5], width 1
        Assert.Equal(-3, h.Lo);
        Assert.Equal(1, h.Width);
        // Every old bin lies inside one new bin: 0, 0.0625, 0.5625 are in [0, 1) = bin 3; 1 was on the closed top edge
        // of [0, 1] and stays in the bin below it (the one-bin edge effect); 3.5 in [3, 4) = bin 6.
        Assert.Equal(new long[] { 1, 0, 0, 4, 0, 0, 1, 0 }, h.Counts.ToArray());
    }

    [Fact]
    public void Add_LargeOverflow_RangeFitsDataTightly()
    {
        var h = new Histogram(2048);
        h.Add([0f, 4.5f]);
        h.Add([50f]);  // one regrid with k = ⌈50/4.5⌉ = 12, not repeated doubling to 72
        Assert.Equal(54, h.Hi, 9);
    }

    [Fact]
    public void Add_ExtremeGrowth_StaysFinite()
    {
        var h = new Histogram(16);
        h.Add([0f, 1e-30f]);
        h.Add([1e30f, -1e30f]);
        Assert.True(h.Lo <= -1e30 && h.Hi >= 1e30 && double.IsFinite(h.Width));
        Assert.Equal(4, h.Total);
        Assert.Equal(2, h.Counts[h.BinCount / 2 - 1] + h.Counts[h.BinCount / 2]);  // both small values near the middle
    }

    [Fact]
    public void Add_ConstantStream_KeepsExactValueUntilRangeAppears()
    {
        var h = new Histogram(16);
        h.Add([2.5f, 2.5f]);
        h.Add([2.5f]);
        Assert.False(h.HasRange);
        Assert.Equal(2.5f, h.Constant);
        Assert.Equal(2.5, h.Quantile(0.5));
        h.Add([0f]);
        Assert.True(h.HasRange);
        Assert.Equal(4, h.Total);
        Assert.Equal(3, h.Counts[^1]);  // the pending 2.5s sit at the top edge
    }

    [Fact]
    public void Add_Magnitude_CountsAbsoluteValues()
    {
        var h = new Histogram(4, magnitude: true);
        h.Add([-4f, 1f, -1f, 3.9f]);
        Assert.Equal(0, h.Lo);
        Assert.Equal(new long[] { 0, 2, 0, 2 }, h.Counts.ToArray());
    }

    [Fact]
    public void Add_NonFinite_Skipped()
    {
        var h = new Histogram(4);
        h.Add([float.NaN, 1f, float.PositiveInfinity, 2f, float.NegativeInfinity]);
        Assert.Equal(2, h.Total);
        Assert.Equal(1, h.Lo);
        Assert.Equal(2, h.Hi);
    }

    [Fact]
    public void Quantile_UniformData_WithinOneBin()
    {
        var h = new Histogram(2048);
        var x = Distributions.StratifiedUniform(1_000_000, 3, 0, 1);
        for (int i = 0; i < x.Length; i += 65_536) h.Add(x.AsSpan(i, Math.Min(65_536, x.Length - i)));
        foreach (double q in new[] { 0.01, 0.25, 0.5, 0.9, 0.99, 0.9999 })
            Assert.True(Math.Abs(h.Quantile(q) - q) <= h.Width, $"quantile {q}: {h.Quantile(q)} (bin width {h.Width:G3})");
    }

    [Fact]
    public void Add_TinyRange_BinsBeyondFloatReciprocal()
    {
        var h = new Histogram(4);
        h.Add([1e-44f, 5e-44f]);  // subnormals 7u and 35u (u = 2⁻¹⁴⁹): width 7u, 1/width overflows float32
        h.Add([2.5e-44f]);        // 18u: (18 − 7)/7 = 1.6 → bin 1
        Assert.Equal(new long[] { 1, 1, 0, 1 }, h.Counts.ToArray());
    }

    [Fact]
    public void Constructor_OddBins_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => new Histogram(7));
}
