using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LowBit.Tensors;

/// <summary>
/// The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt (.NET has none).
/// float32, vectorizable, max error 3.2 ulp (checked against a double reference over [−5, 5] and tiny |x|):
/// <list type="bullet">
/// <item>|x| ≤ 1: erf(x) = x·P(x²), P of degree 5 (least-squares fit of erf(x)/x on Chebyshev nodes).</item>
/// <item>1 &lt; |x| &lt; 4: erf(x) = 1 − e^(−x²)·Q(1/x), Q of degree 8 fitted to erfc(x)·e^(x²).</item>
/// <item>|x| ≥ 4: ±1 (erfc(4) ≈ 1.5e−8 is below float32 resolution at 1).</item>
/// </list>
/// float64: Maclaurin series for |x| &lt; 2.5, Laplace's continued fraction for erfc beyond, ±1 from 6.
/// </summary>
internal static class ErfMath
{
    // P(t), t = x², highest degree first.
    private const float A5 = -0.0005696591688320041f, A4 = 0.004934489261358976f, A3 = -0.026726964861154556f,
        A2 = 0.11280787736177444f, A1 = -0.37612414360046387f, A0 = 1.1283791065216064f;
    // Q(u), u = 1/|x|, highest degree first.
    private const float B8 = -0.00886930339038372f, B7 = 0.02565707080066204f, B6 = 0.02991912141442299f,
        B5 = -0.24921603500843048f, B4 = 0.5022039413452148f, B3 = -0.47395461797714233f, B2 = 0.042608775198459625f,
        B1 = 0.5589596629142761f, B0 = 0.0002749496197793633f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x)
    {
        float a = MathF.Abs(x);
        float r;
        if (a <= 1f)
        {
            float t = a * a;
            r = a * (((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t + A0);
        }
        else if (a < 4f)
        {
            float u = 1f / a;
            float q = (((((((B8 * u + B7) * u + B6) * u + B5) * u + B4) * u + B3) * u + B2) * u + B1) * u + B0;
            r = 1f - MathF.Exp(-(a * a)) * q;
        }
        else r = float.IsNaN(a) ? a : 1f;
        return MathF.CopySign(r, x);
    }

    /// <summary>Both branches evaluated, then selected per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        var a = Vector256.Abs(x);
        var t = a * a;
        var p = Vector256.Create(A5);
        p = p * t + Vector256.Create(A4);
        p = p * t + Vector256.Create(A3);
        p = p * t + Vector256.Create(A2);
        p = p * t + Vector256.Create(A1);
        p = p * t + Vector256.Create(A0);
        var small = a * p;

        var ac = Vector256.Max(a, Vector256.Create(1f));
        var u = Vector256<float>.One / ac;
        var q = Vector256.Create(B8);
        q = q * u + Vector256.Create(B7);
        q = q * u + Vector256.Create(B6);
        q = q * u + Vector256.Create(B5);
        q = q * u + Vector256.Create(B4);
        q = q * u + Vector256.Create(B3);
        q = q * u + Vector256.Create(B2);
        q = q * u + Vector256.Create(B1);
        q = q * u + Vector256.Create(B0);
        var large = Vector256<float>.One - Vector256.Exp(-(ac * ac)) * q;
        large = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(4f)), large, Vector256<float>.One);

        var r = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(a, Vector256<float>.One), small, large);
        // NaN lanes fail both comparisons above and would become 1: keep them NaN.
        r = Vector256.ConditionalSelect(Vector256.Equals(x, x), r, x);
        return Vector256.CopySign(r, x);
    }

    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        double r;
        if (double.IsNaN(a) || a == 0) return x;
        if (a < 2.5)
        {
            // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)); terms peak near n = x², cancellation costs < 2 digits.
            double sum = 0, term = a, x2 = a * a;
            for (int n = 0; n < 200; n++)
            {
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.Abs(t) < 1e-17 * Math.Abs(sum)) break;
                term *= -x2 / (n + 1);
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else if (a < 6)
        {
            // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from a fixed depth.
            double k = a;
            for (int i = 120; i >= 1; i--) k = a + i / 2.0 / k;
            r = 1 - Math.Exp(-a * a) / (Math.Sqrt(Math.PI) * k);
        }
        else r = 1;
        return Math.CopySign(r, x);
    }
}
