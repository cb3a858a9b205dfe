namespace LowBit.Tests.Quantization;

/// <summary>Seeded synthetic data for quantization tests: random samples, and stratified samples (the quantiles at
/// (i + ½)/n, shuffled) whose empirical distribution matches the target up to O(1/n) with no sampling noise.</summary>
public static class Distributions
{
    public static float[] Normal(int n, int seed, double sigma = 1)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1 - r.NextDouble(), u2 = r.NextDouble();
            x[i] = (float)(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }

    public static float[] Uniform(int n, int seed, double lo, double hi)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * r.NextDouble());
        return x;
    }

    /// <summary>N(0, σ²) quantiles at (i + ½)/n, shuffled.</summary>
    public static float[] StratifiedNormal(int n, int seed, double sigma = 1) =>
        Stratified(n, seed, p => sigma * InverseNormalCdf(p));

    /// <summary>Laplace(0, b) quantiles at (i + ½)/n, shuffled.</summary>
    public static float[] StratifiedLaplace(int n, int seed, double b = 1) =>
        Stratified(n, seed, p => p < 0.5 ? b * Math.Log(2 * p) : -b * Math.Log(2 * (1 - p)));

    /// <summary>Uniform [lo, hi] at (i + ½)/n, shuffled.</summary>
    public static float[] StratifiedUniform(int n, int seed, double lo, double hi) =>
        Stratified(n, seed, p => lo + (hi - lo) * p);

    private static float[] Stratified(int n, int seed, Func<double, double> quantile)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)quantile((i + 0.5) / n);
        new Random(seed).Shuffle(x);
        return x;
    }

    /// <summary>Φ⁻¹(p) by Acklam's rational approximation (relative error &lt; 1.2·10⁻⁹), enough for test data.</summary>
    public static double InverseNormalCdf(double p)
    {
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) return -InverseNormalCdf(1 - p);
        double u = p - 0.5, r = u * u;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
