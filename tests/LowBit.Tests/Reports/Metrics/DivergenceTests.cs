using LowBit.Reports.Metrics;

namespace LowBit.Tests.Reports.Metrics;

public class DivergenceTests
{
    [Fact]
    public void SoftmaxKl_HandComputed_Matches()
    {
        // p = softmax([0, 0]) = [1/2, 1/2]; q = softmax([ln 3, 0]) = [3/4, 1/4];
        // KL = ½·ln(½ / ¾) + ½·ln(½ / ¼) = ½·ln(4/3).
        double kl = Divergence.SoftmaxKl([0f, 0f], [(float)Math.Log(3), 0f]);
        Assert.Equal(0.5 * Math.Log(4.0 / 3), kl, 6);  // ln 3 rounded to float32: ~1e-8 in q
    }

    [Fact]
    public void SoftmaxKl_ShiftedRows_AreIdentical()
    {
        Assert.Equal(0, Divergence.SoftmaxKl([1f, 2f, 3f], [101f, 102f, 103f]), 12);
    }

    [Fact]
    public void SoftmaxKl_HugeLogits_StaysFinite()
    {
        double kl = Divergence.SoftmaxKl([1000f, 0f], [0f, 1000f]);
        Assert.True(double.IsFinite(kl));
        Assert.Equal(1000, kl, 6);  // p ≈ [1, e^−1000]: KL ≈ log p₀ − log q₀ = 0 − (−1000)
    }

    [Fact]
    public void SoftmaxKl_NaNLogit_IsNaN()
    {
        Assert.True(double.IsNaN(Divergence.SoftmaxKl([float.NaN, 0f], [0f, 0f])));
    }
}
