using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

/// <summary>absmean / absmedian weight scales (BitNet b1.58 and its "Reloaded" median variant), Observers/AbsRanges.cs.
/// References: the statistics computed by hand, and the BitNet rule codes = round(clip(w/s, −1, 1)) written here.</summary>
public class AbsMeanTests
{
    private static readonly INumberFormat Ternary = FormatTable.Get("ternary");

    [Fact]
    public void Statistic_HandMadeRows_MeanAndMedianOfAbsoluteValues()
    {
        // Row 0: |w| = {1, 2, 3, 6}: mean 3, median (2 + 3)/2. Row 1: NaN skipped, |w| = {0.5, 0.5, 4}: mean 5/3, median 0.5.
        float[] w = [1, -2, 3, -6, 0.5f, -0.5f, 4, float.NaN];
        Assert.Equal([3f, 5f / 3], AbsRanges.Statistic(w, [2, 4], new PerChannel(0), median: false));
        Assert.Equal([2.5f, 0.5f], AbsRanges.Statistic(w, [2, 4], new PerChannel(0), median: true));
        // Groups of 16 along axis 1 of [1, 32], w_k = ±(k + 1): |w| = 1..16 and 17..32, means 8.5 and 24.5.
        var r = Enumerable.Range(1, 32).Select(k => k % 2 == 0 ? -(float)k : k).ToArray();
        Assert.Equal([8.5f, 24.5f], AbsRanges.Statistic(r, [1, 32], new PerGroup(1, 16), median: false));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ranges_Ternary_ScaleEqualsStatisticExactly(bool median)
    {
        var w = Distributions.Normal(64 * 128, 11);
        int[] shape = [64, 128];
        var m = AbsRanges.Statistic(w, shape, new PerChannel(0), median);
        var (mins, maxs) = AbsRanges.Ranges(w, shape, Ternary, new PerChannel(0), median);
        var q = Affine.Choose(Ternary, QuantScheme.Symmetric, new PerChannel(0), [64], mins, maxs);
        Assert.Equal(m, q.Scales);
        for (int c = 0; c < 64; c++)
        {
            var row = w.Skip(c * 128).Take(128).Select(Math.Abs).OrderBy(v => v).ToArray();
            float reference = median ? (row[63] + row[64]) / 2 : (float)row.Select(v => (double)v).Average();
            Assert.Equal(reference, m[c], reference * 1e-6f);
        }
    }

    [Fact]
    public void Quantize_TernaryAbsMeanGaussian_CodesFollowBitNetRuleAndSqnrFinite()
    {
        var w = Distributions.Normal(32 * 256, 12);
        int[] shape = [32, 256];
        var (mins, maxs) = AbsRanges.Ranges(w, shape, Ternary, new PerChannel(0), median: false);
        var q = Affine.Choose(Ternary, QuantScheme.Symmetric, new PerChannel(0), [32], mins, maxs);
        var codes = new int[w.Length];
        Affine.Quantize(w, shape, q, codes);
        double signal = 0, noise = 0;
        for (int i = 0; i < w.Length; i++)
        {
            float s = q.Scales[i / 256];
            int bitnet = (int)Math.Round(Math.Clamp(w[i] / s, -1f, 1f), MidpointRounding.ToEven);
            Assert.Equal(bitnet, codes[i]);
            signal += (double)w[i] * w[i];
            noise += Math.Pow(w[i] - s * codes[i], 2);
        }
        double sqnr = 10 * Math.Log10(signal / noise);
        // Ternary absmean on N(0, 1): s ≈ 0.80, SQNR ≈ 5.8 dB (numpy, 10⁶ samples); 8192 samples: floor 3 dB, ceiling 10 dB.
        Assert.True(double.IsFinite(sqnr) && sqnr > 3 && sqnr < 10, $"SQNR {sqnr:0.00} dB");
    }

    [Theory]
    [InlineData("int4")]
    [InlineData("fp4")]
    public void Ranges_WiderGrids_ScaleIsStatistic(string format)
    {
        var f = FormatTable.Get(format);
        var w = Distributions.Normal(8 * 64, 13);
        var m = AbsRanges.Statistic(w, [8, 64], new PerChannel(0), median: false);
        var (mins, maxs) = AbsRanges.Ranges(w, [8, 64], f, new PerChannel(0), median: false);
        var q = Affine.Choose(f, QuantScheme.Symmetric, new PerChannel(0), [8], mins, maxs);
        for (int c = 0; c < 8; c++) Assert.Equal(m[c], q.Scales[c], m[c] * 1e-6f);  // float32 rounding of m·max|grid|
    }

    [Fact]
    public void WeightQuantConfig_AbsMeanAsymmetric_IsUsageError()
    {
        var x = Assert.Throws<LowBitException>(() => new WeightQuantConfig(Ternary, scheme: QuantScheme.Asymmetric, range: WeightRange.AbsMean));
        Assert.Equal(ErrorKind.Usage, x.Kind);
        Assert.Contains("symmetric", x.Message);
        Assert.Equal(WeightRange.AbsMedian, ConfigNames.ParseWeightRange("absmedian"));
        Assert.Equal("absmean", ConfigNames.Name(WeightRange.AbsMean));
    }
}
