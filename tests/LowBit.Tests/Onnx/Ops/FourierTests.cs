using LowBit.Onnx.Ops;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// The float64 FFT plan against the O(n²) definition X[k] = Σⱼ x[j]·e^(∓2πi·jk/n) evaluated with one fresh cos/sin per
/// term. Tolerance 1e-9 relative to Σ|x|: both are float64 and the FFT's error grows like log n, the direct sum's like n.
/// </summary>
public class FourierTests
{
    private static (double[] Re, double[] Im) Direct(double[] re, double[] im, bool inverse)
    {
        int n = re.Length;
        double s = inverse ? 1 : -1;
        var or = new double[n];
        var oi = new double[n];
        for (int k = 0; k < n; k++)
            for (int j = 0; j < n; j++)
            {
                double a = s * 2 * Math.PI * ((long)j * k % n) / n;
                or[k] += re[j] * Math.Cos(a) - im[j] * Math.Sin(a);
                oi[k] += re[j] * Math.Sin(a) + im[j] * Math.Cos(a);
            }
        return (or, oi);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(16, false)]
    [InlineData(16, true)]
    [InlineData(3, false)]
    [InlineData(12, true)]
    [InlineData(17, false)]
    [InlineData(400, false)]
    [InlineData(401, true)]
    public void Transform_AnyLength_MatchesDirectSum(int n, bool inverse)
    {
        var r = new Random(n);
        var re = Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
        var im = Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
        var (er, ei) = Direct(re, im, inverse);
        var ar = (double[])re.Clone();
        var ai = (double[])im.Clone();
        new Fourier(n, inverse).Transform(ar, ai);
        double scale = re.Sum(Math.Abs) + im.Sum(Math.Abs);
        for (int k = 0; k < n; k++)
        {
            Assert.True(Math.Abs(ar[k] - er[k]) <= 1e-9 * scale, $"n={n} re[{k}] = {ar[k]}, expected {er[k]}");
            Assert.True(Math.Abs(ai[k] - ei[k]) <= 1e-9 * scale, $"n={n} im[{k}] = {ai[k]}, expected {ei[k]}");
        }
    }

    [Fact]
    public void Transform_ForwardThenInverse_ReturnsInputTimesN()
    {
        const int n = 96;  // 96 = 2⁵·3: the Bluestein path
        var r = new Random(5);
        var re = Enumerable.Range(0, n).Select(_ => r.NextDouble()).ToArray();
        var im = new double[n];
        var ar = (double[])re.Clone();
        var ai = new double[n];
        new Fourier(n, false).Transform(ar, ai);
        new Fourier(n, true).Transform(ar, ai);
        for (int j = 0; j < n; j++)
        {
            Assert.Equal(re[j], ar[j] / n, 12);
            Assert.Equal(0, ai[j] / n, 12);
        }
    }
}
