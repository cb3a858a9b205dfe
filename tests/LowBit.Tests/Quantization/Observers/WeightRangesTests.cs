using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

public class WeightRangesTests
{
    private static readonly INumberFormat Int4 = FormatTable.Get("int4");

    /// <summary>Conv-like weights [C, 2000]: channel c is N(0, σ_c²) with σ_c = 2^c.</summary>
    private static float[] ChannelScaled(int channels, int perChannel, int seed)
    {
        var x = Distributions.Normal(channels * perChannel, seed);
        for (int i = 0; i < x.Length; i++) x[i] *= MathF.Pow(2, i / perChannel);
        return x;
    }

    [Fact]
    public void MinMax_PerChannel_EqualsBruteForce()
    {
        int[] shape = [4, 3, 5];
        var x = Distributions.Normal(60, 1);
        var (mins, maxs) = WeightRanges.MinMax(x, shape, new PerChannel(1));
        for (int c = 0; c < 3; c++)
        {
            var members = Enumerable.Range(0, 60).Where(i => i / 5 % 3 == c).Select(i => x[i]).ToArray();
            Assert.Equal(members.Min(), mins[c]);
            Assert.Equal(members.Max(), maxs[c]);
        }
    }

    [Fact]
    public void MinMax_SlotWithoutFiniteValues_IsZeroRange()
    {
        var (mins, maxs) = WeightRanges.MinMax([float.NaN, float.NaN, 1f, -2f], [2, 2], new PerChannel(0));
        Assert.Equal([0f, -2f], mins);
        Assert.Equal([0f, 1f], maxs);
    }

    [Fact]
    public void Mse_PerChannel_ScaleNearGaussianOptimumOfEachChannel()
    {
        // 20 000 samples per channel: the empirical optimum sits within a few % of the population one (step s = 0.33861σ
        // for int4, see MseTests); tolerance 6 % for sampling noise on a flat curve. Compared as scales: which side of a
        // channel's range leads (−8s or +7s) depends on the sample.
        const int perChannel = 20_000;
        var x = ChannelScaled(4, perChannel, 2);
        var (mins, maxs) = WeightRanges.Mse(x, [4, perChannel], Int4, QuantScheme.Symmetric, new PerChannel(0));
        for (int c = 0; c < 4; c++)
        {
            double s = Affine.Choose(Int4, QuantScheme.Symmetric, mins[c], maxs[c]).Scales[0] / Math.Pow(2, c);
            Assert.True(Math.Abs(s / 0.33861 - 1) <= 0.06, $"channel {c}: step {s:F4}σ");
        }
    }

    [Theory]
    [InlineData("int4", "channel")]
    [InlineData("int8", "channel")]
    [InlineData("int4", "group")]
    [InlineData("uint4", "group")]
    public void Mse_NeverWorseThanMinMax(string format, string granularity)
    {
        var f = FormatTable.Get(format);
        int[] shape = [64, 48];
        var x = Distributions.Normal(64 * 48, 3);
        Granularity g = granularity == "channel" ? new PerChannel(1) : new PerGroup(0, 16);
        var scheme = f.IsSigned ? QuantScheme.Symmetric : QuantScheme.Asymmetric;
        var scaleShape = QuantParams.ScaleShapeFor(shape, g);
        var (mn, mx) = WeightRanges.MinMax(x, shape, g);
        var (en, ex) = WeightRanges.Mse(x, shape, f, scheme, g);
        double ErrorOf(float[] lo, float[] hi)
        {
            var y = new float[x.Length];
            Affine.FakeQuantize(x, shape, Affine.Choose(f, scheme, g, scaleShape, lo, hi), y);
            return x.Zip(y, (a, b) => (double)(a - b) * (a - b)).Sum();
        }
        double minmax = ErrorOf(mn, mx), mse = ErrorOf(en, ex);
        Assert.True(mse <= minmax, $"MSE ranges give {mse:G4}, min-max {minmax:G4}");
        Assert.True(mse < 0.99 * minmax, $"MSE ranges should clip the Gaussian tails: {mse:G4} vs {minmax:G4}");
    }
}
