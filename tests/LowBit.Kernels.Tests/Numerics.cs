namespace LowBit.Kernels.Tests;

/// <summary>Seeded data and float32 error bounds for kernel tests.</summary>
internal static class Numerics
{
    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>
    /// Bound on |computed − exact| for a float32 sum of k products whose magnitudes add to <paramref name="absSum"/>:
    /// any summation order stays within γ_k·Σ|a·b| with γ_k ≈ k·2⁻²⁴, and two different orders within twice that
    /// (plus one rounding each for alpha/beta/bias terms, covered by +4 ulps of the magnitude and a tiny absolute floor).
    /// </summary>
    public static double Bound(int k, double absSum) => (2.0 * (k + 4) * Math.Pow(2, -24)) * absSum + 1e-30;

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, ReadOnlySpan<double> bound, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)expected[i] - actual[i]);
            if (float.IsNaN(expected[i]) && float.IsNaN(actual[i])) continue;
            Assert.True(d <= bound[i], $"{what}: element {i} is {actual[i]}, expected {expected[i]} (|diff| {d:G3} > bound {bound[i]:G3})");
        }
    }
}
