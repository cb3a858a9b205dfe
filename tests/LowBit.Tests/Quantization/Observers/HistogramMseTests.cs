using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

public class HistogramMseTests
{
    /// <summary>The histogram estimate equals the true error of fake-quantizing the data up to the bin approximation:
    /// 2048 bins over ±4.9σ put ≥ 15 bins in every int4 step here, so 1 % is ample.</summary>
    [Theory]
    [InlineData("int4", 0.3f, 0)]
    [InlineData("uint4", 0.5f, 8)]
    [InlineData("int8", 0.02f, 0)]
    [InlineData("int2", 1.2f, 0)]
    public void Expected_MatchesDirectErrorOnData(string format, float scale, int zeroPoint)
    {
        var f = FormatTable.Get(format);
        var x = Distributions.StratifiedNormal(400_000, 1);
        var h = new Histogram();
        h.Add(x);
        var p = QuantParams.Scalar(f, scale, zeroPoint);
        var y = new float[x.Length];
        Affine.FakeQuantize(x, [x.Length], p, y);
        double direct = 0;
        for (int i = 0; i < x.Length; i++) direct += (double)(x[i] - y[i]) * (x[i] - y[i]);
        double estimate = HistogramMse.Expected(h, f, scale, zeroPoint);
        Assert.True(Math.Abs(estimate / direct - 1) < 0.01, $"{format}: histogram {estimate:G5} vs direct {direct:G5}");
    }

    [Fact]
    public void Expected_SingleUniformBin_MatchesClosedForm()
    {
        // one value spread over [0, 1] in bin 1 of [−1, 1] (2 bins), quantizer step 1 with grid {…, 0, 1, …}:
        // error = ∫₀^½ x² dx + ∫½^1 (x − 1)² dx = 1/12 per unit mass
        var h = new Histogram(2);
        h.Add([-1f, 1f]);
        h.Add([0.3f]);  // bin 1 now holds 2 values, bin 0 one
        var f = FormatTable.Get("int8");
        double e = HistogramMse.Expected(h, f, 1f, 0);
        Assert.Equal(3.0 / 12, e, 12);
    }
}
