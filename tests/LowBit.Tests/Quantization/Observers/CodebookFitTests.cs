using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Observers;

namespace LowBit.Tests.Quantization.Observers;

/// <summary>
/// The k-means codebook fit (CodebookFit.Levels) against brute force: nearest-level assignment computed here, the
/// Lloyd fixed point (every non-zero level is the weighted mean of the values nearest to it), and the weighted squared
/// error against a uniform grid of the same size.
/// </summary>
public class CodebookFitTests
{
    private static float[] Gaussian(int n, int seed, double outlierShare = 0)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            return (float)(rng.NextDouble() < outlierShare ? 6 * g : g) / 8;
        }).ToArray();
    }

    private static int Nearest(float[] levels, float t)
    {
        int best = 0;
        for (int j = 1; j < levels.Length; j++)
            if (Math.Abs(t - levels[j]) < Math.Abs(t - levels[best])) best = j;
        return best;
    }

    private static double Error(float[] t, float[]? w, float[] levels) =>
        t.Select((v, i) => (w?[i] ?? 1.0) * Math.Pow(v - levels[Nearest(levels, v)], 2)).Sum();

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Levels_AtMostTwoToTheBitsIncludingExactZero(int bits)
    {
        var levels = CodebookFit.Levels(Gaussian(5000, bits), default, bits);
        Assert.InRange(levels.Length, 2, 1 << bits);
        Assert.Contains(0f, levels);
        Assert.Equal(levels.Order().Distinct(), levels);
    }

    [Fact]
    public void Levels_FewDistinctValues_RecoveredExactly()
    {
        float[] distinct = [-0.75f, -0.25f, 0f, 0.125f, 0.5f, 0.875f];
        var rng = new Random(3);
        var t = Enumerable.Range(0, 3000).Select(_ => distinct[rng.Next(distinct.Length)]).ToArray();
        var levels = CodebookFit.Levels(t, default, 3);
        Assert.Equal(distinct, levels);
        Assert.Equal(0, Error(t, null, levels));
    }

    [Theory]
    [InlineData(3, 0.0)]
    [InlineData(4, 0.0)]
    [InlineData(4, 0.02)]
    public void Levels_LloydFixedPointAndBelowUniformGridError(int bits, double outliers)
    {
        var t = Gaussian(20000, 10 + bits, outliers);
        var levels = CodebookFit.Levels(t, default, bits);
        // Fixed point: each non-zero level is the mean of the values nearest to it (brute-force assignment here).
        var sums = new double[levels.Length];
        var counts = new int[levels.Length];
        foreach (float v in t) { int j = Nearest(levels, v); sums[j] += v; counts[j]++; }
        for (int j = 0; j < levels.Length; j++)
            if (levels[j] != 0 && counts[j] > 0) Assert.Equal(sums[j] / counts[j], levels[j], 1e-5);
        // Below a symmetric uniform grid of 2^b − 1 levels spanning the same absmax (round to nearest).
        double absmax = t.Max(Math.Abs);
        int m = (1 << (bits - 1)) - 1;
        var uniform = Enumerable.Range(-m, 2 * m + 1).Select(i => (float)(absmax * i / m)).ToArray();
        double km = Error(t, null, levels), un = Error(t, null, uniform);
        Assert.True(km < 0.8 * un, $"k-means error {km}, uniform {un}");
    }

    [Fact]
    public void Levels_HeavyWeightOnOneValue_PutsALevelOnIt()
    {
        var t = Gaussian(4000, 5).Append(0.3f).ToArray();
        var w = t.Select((_, i) => i == t.Length - 1 ? 1e6f : 1f).ToArray();
        Assert.DoesNotContain(0.3f, CodebookFit.Levels(t, default, 2));
        var levels = CodebookFit.Levels(t, w, 2);
        Assert.Equal(0.3f, levels[Nearest(levels, 0.3f)], 1e-3f);
        Assert.True(Error(t, w, levels) < Error(t, w, CodebookFit.Levels(t, default, 2)));
    }

    [Fact]
    public void Choose_PerChannel_KeepsScalesAndFitsInWeightUnits()
    {
        var rng = new Random(4);
        int rows = 8, cols = 64;
        // Channel r has absmax growing with r, so unweighted normalized errors would over-count the small channels.
        var x = Enumerable.Range(0, rows * cols).Select(i => (float)((i / cols + 1) * (rng.NextDouble() * 2 - 1))).ToArray();
        var scaled = Affine.ChooseFromData(x, [rows, cols], CodebookFormat.Template(CodebookFamily.KMeans, 3), QuantScheme.Symmetric, new PerChannel(0));
        var q = CodebookFit.Choose(x, [rows, cols], scaled);
        var f = Assert.IsType<CodebookFormat>(q.Format);
        Assert.True(f.IsLearned);
        Assert.Equal("kmeans3", f.Name);
        Assert.Equal(scaled.Scales, q.Scales);
        // The fit minimizes the error of the weights themselves, Σ (w − s·c)²: lower there than the fit of the normalized
        // values with equal weights.
        var t = x.Select((v, i) => v / scaled.Scales[i / cols]).ToArray();
        var s2 = x.Select((_, i) => scaled.Scales[i / cols] * scaled.Scales[i / cols]).ToArray();
        double inWeightUnits = Error(t, s2, f.Grid.ToArray()), unweighted = Error(t, s2, CodebookFit.Levels(t, default, 3));
        Assert.True(inWeightUnits < unweighted, $"weight-unit error {inWeightUnits}, unweighted fit {unweighted}");
        // Deterministic: a second fit gives the same levels (manifest replay relies on it).
        var again = CodebookFit.Choose(x, [rows, cols], scaled);
        Assert.Equal(f.Grid, again.Format.Grid);
    }

    [Fact]
    public void HessianWeighted_DominantColumn_GetsItsOwnLevel()
    {
        // Column 0 of a [6, 5] matrix holds 0.37 in every row and has a Hessian diagonal 10⁶ times the others: the refit
        // must put a level on 0.37 (unit scales), which the unweighted fit on the same values does not.
        var rng = new Random(8);
        int rows = 6, cols = 5;
        var w = new float[rows * cols];
        for (int i = 0; i < w.Length; i++) w[i] = i % cols == 0 ? 0.37f : (float)(rng.NextDouble() * 2 - 1);
        var h = new double[cols];
        for (int k = 0; k < cols; k++) h[k] = k == 0 ? 1e6 : 1;
        var scales = Enumerable.Repeat(1f, w.Length).ToArray();
        var plain = CodebookFormat.Learned(2, CodebookFit.Levels(w, default, 2));
        bool HasLevel(CodebookFormat f) => f.Grid.Any(l => Math.Abs(l - 0.37f) < 1e-5f);
        Assert.False(HasLevel(plain));
        var refit = CodebookFit.HessianWeighted(plain, w, scales, rows, cols, [h]);
        Assert.True(HasLevel(refit));
        // Two groups of 3 rows, the second with a flat Hessian: column 0 still dominates through the first group.
        var flat = Enumerable.Repeat(1.0, cols).ToArray();
        Assert.True(HasLevel(CodebookFit.HessianWeighted(plain, w, scales, 3, cols, [h, flat])));
    }

    [Theory]
    [InlineData(4, 0.5)]
    [InlineData(3, 2.0)]
    [InlineData(5, 1.3)]
    public void PowerExponentLevels_ValuesOnAPowerGrid_RecoverItsExponent(int bits, double alpha)
    {
        var grid = CodebookFormat.PowerLevels(bits, alpha);
        var rng = new Random(bits);
        var t = Enumerable.Range(0, 4000).Select(_ => grid[rng.Next(grid.Length)]).ToArray();
        var (levels, found) = CodebookFit.PowerExponentLevels(t, default, bits);
        Assert.Equal(alpha, found, 2e-3 * alpha);
        Assert.True(Error(t, null, levels) < 1e-8, $"error {Error(t, null, levels)}");
    }

    [Fact]
    public void PowerExponentLevels_PeakedValues_ExponentAboveOneAndBelowUniformError()
    {
        // Laplace values scaled to absmax 1: most mass near 0, so levels crowded near 0 (α > 1) fit better than uniform.
        var rng = new Random(21);
        var x = Enumerable.Range(0, 20000).Select(_ => (rng.NextDouble() < 0.5 ? -1 : 1) * -Math.Log(1 - rng.NextDouble())).ToArray();
        double absmax = x.Max(Math.Abs);
        var t = x.Select(v => (float)(v / absmax)).ToArray();
        var (levels, alpha) = CodebookFit.PowerExponentLevels(t, default, 4);
        Assert.True(alpha > 1.2, $"α = {alpha}");
        Assert.True(Error(t, null, levels) < 0.8 * Error(t, null, CodebookFormat.PowerLevels(4, 1)));
        Assert.Equal(15, levels.Length);
        Assert.Equal([-1f, 0f, 1f], new[] { levels[0], levels[7], levels[14] });
    }

    [Fact]
    public void Learned_RejectsTooManyLevelsOrNoZero()
    {
        Assert.Throws<ArgumentException>(() => CodebookFormat.Learned(2, [-1f, -0.5f, 0f, 0.5f, 1f]));
        Assert.Throws<ArgumentException>(() => CodebookFormat.Learned(2, [-1f, 0.5f, 1f]));
        var f = CodebookFormat.Learned(2, [0.5f, 0f, -1f]);
        Assert.Equal([-1f, 0f, 0.5f], f.Grid);
        Assert.Equal(0.5f, f.Decode(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Decode(3));
    }
}
