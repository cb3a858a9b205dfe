using LowBit.Quantization.Search;

namespace LowBit.Tests.Quantization.Search;

public class RankCorrelationTests
{
    [Fact]
    public void Spearman_MonotoneAndReversed_AreOneAndMinusOne()
    {
        double[] x = [1, 5, 2, 9, 3];
        Assert.Equal(1, RankCorrelation.Spearman(x, x.Select(v => Math.Exp(v)).ToList()), 12);
        Assert.Equal(-1, RankCorrelation.Spearman(x, x.Select(v => -v * v).ToList()), 12);
    }

    [Fact]
    public void Spearman_HandComputedExampleWithTies()
    {
        // ranks x: 1, 2.5, 2.5, 4; ranks y: 2, 1, 4, 3; deviations from 2.5: Σdxdy = 1.5, Σdx² = 4.5, Σdy² = 5 → ρ = 0.31623.
        Assert.Equal(1.5 / Math.Sqrt(4.5 * 5), RankCorrelation.Spearman([1, 2, 2, 3], [20, 10, 40, 30]), 12);
        Assert.Equal([1, 2.5, 2.5, 4], RankCorrelation.Ranks([1, 2, 2, 3]));
    }

    [Fact]
    public void Spearman_ConstantSideOrTooFew_IsNaN()
    {
        Assert.True(double.IsNaN(RankCorrelation.Spearman([1, 1, 1], [1, 2, 3])));
        Assert.True(double.IsNaN(RankCorrelation.Spearman([1], [2])));
    }
}
