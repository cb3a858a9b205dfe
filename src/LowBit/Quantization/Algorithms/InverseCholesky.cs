using System.Numerics;
using LowBit.Kernels;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// The upper Cholesky factor U of H⁻¹ (H⁻¹ = Uᵀ·U, U upper triangular) for a symmetric positive definite H, without
/// forming H⁻¹, in double precision (GPTQ, Frantar et al. 2023, §4 "Cholesky reformulation").
/// <para>With J the reversal permutation, J·H·J = L·Lᵀ (L lower) gives H = V·Vᵀ with V = J·L·J upper, so
/// H⁻¹ = (V⁻¹)ᵀ·V⁻¹ and U = V⁻¹ = J·L⁻¹·J: U[i, j] = (L⁻¹)[n−1−i, n−1−j]. Cost n³/3 (Cholesky) + n³/3 (triangular
/// inverse) flops, against n³/3 + n³ + n³/3 for inverting H and factoring the inverse.</para>
/// Matrices are row-major n×n. Both loops are blocked left-looking so the inner work is dot products of contiguous
/// rows, four at a time (one row load feeds four FMAs), parallel over rows.
/// </summary>
internal static class InverseCholesky
{
    /// <summary>Column block of the Cholesky: the block's rows (NB·n doubles) stay in cache while every row below is
    /// updated against them.</summary>
    private const int NB = 64;

    /// <summary>U with H⁻¹ = Uᵀ·U (strict lower part zero), or null when H is not numerically positive definite
    /// (a pivot ≤ 0 or not finite).</summary>
    public static double[]? Factor(ReadOnlySpan<double> h, int n, CancellationToken ct)
    {
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
        if (!CholeskyLower(a, n, ct)) return null;
        var xt = InverseLowerTransposed(a, n, ct);
        // U[i, j] = L⁻¹[n−1−i, n−1−j] = Xt[n−1−j, n−1−i] (Xt = (L⁻¹)ᵀ, upper).
        var u = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            int ri = n - 1 - i;
            for (int j = i; j < n; j++) u[i * n + j] = xt[(n - 1 - j) * n + ri];
        }
        return u;
    }

    /// <summary>In place A = L·Lᵀ on the lower triangle (upper triangle untouched and unread). Left-looking by column
    /// blocks J: A[i, J] −= L[i, :j0]·L[J, :j0]ᵀ for rows i ≥ j0, then the diagonal block and the rows below it by
    /// forward substitution within J.</summary>
    internal static bool CholeskyLower(double[] a, int n, CancellationToken ct)
    {
        for (int j0 = 0; j0 < n; j0 += NB)
        {
            ct.ThrowIfCancellationRequested();
            int j1 = Math.Min(n, j0 + NB);
            if (j0 > 0)
            {
                int quads = (n - j0 + 3) / 4;
                Parallelism.ForRange(quads, 4, (q0, q1) =>
                {
                    Span<double> s = stackalloc double[4];
                    for (int q = q0; q < q1; q++)
                    {
                        int i0 = j0 + 4 * q, cnt = Math.Min(4, n - i0);
                        for (int j = j0; j < j1; j++)
                        {
                            if (j > i0 + cnt - 1) break;
                            Dot4(a, j * n, a, i0 * n, n, cnt, 0, j0, s);
                            for (int r = 0; r < cnt; r++)
                                if (i0 + r >= j) a[(i0 + r) * n + j] -= s[r];
                        }
                    }
                });
            }
            for (int j = j0; j < j1; j++)
            {
                double d = a[j * n + j];
                for (int k = j0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
                if (!(d > 0) || !double.IsFinite(d)) return false;
                double ljj = Math.Sqrt(d);
                a[j * n + j] = ljj;
                for (int i = j + 1; i < j1; i++) a[i * n + j] = (a[i * n + j] - Dot(a, i * n + j0, a, j * n + j0, j - j0)) / ljj;
            }
            Parallelism.ForRange(n - j1, 16, (r0, r1) =>
            {
                for (int i = j1 + r0; i < j1 + r1; i++)
                    for (int j = j0; j < j1; j++)
                        a[i * n + j] = (a[i * n + j] - Dot(a, i * n + j0, a, j * n + j0, j - j0)) / a[j * n + j];
            });
        }
        return true;
    }

    /// <summary>Xt = (L⁻¹)ᵀ (upper) from the lower Cholesky factor in <paramref name="l"/>: column j of X = L⁻¹ solves
    /// L·x = e_j, x_i = −(Σ_{j≤k&lt;i} L[i, k]·x_k) / L[i, i]; stored as row j of Xt so the sum is a dot of two contiguous
    /// rows. Four columns j share each loaded row of L (entries of Xt left of their diagonal are zero, so one range fits all).</summary>
    internal static double[] InverseLowerTransposed(double[] l, int n, CancellationToken ct)
    {
        var xt = new double[n * n];
        int quads = (n + 3) / 4;
        ct.ThrowIfCancellationRequested();
        Parallelism.For(quads, q =>
        {
            Span<double> s = stackalloc double[4];
            int j0 = 4 * q, cnt = Math.Min(4, n - j0);
            for (int i = j0; i < n; i++)
            {
                Dot4(l, i * n, xt, j0 * n, n, cnt, j0, i - j0, s);
                double lii = l[i * n + i];
                for (int r = 0; r < cnt; r++)
                {
                    int j = j0 + r;
                    if (i == j) xt[j * n + i] = 1 / lii;
                    else if (i > j) xt[j * n + i] = -s[r] / lii;
                }
            }
        });
        return xt;
    }

    /// <summary>s[r] = Σ_{k∈[k0, k0+len)} x[xo + k]·y[yo + r·ld + k] for r &lt; cnt (cnt ≤ 4).</summary>
    private static void Dot4(double[] x, int xo, double[] y, int yo, int ld, int cnt, int k0, int len, Span<double> s)
    {
        if (cnt < 4)
        {
            for (int r = 0; r < cnt; r++) s[r] = Dot(x, xo + k0, y, yo + r * ld + k0, len);
            return;
        }
        int w = Vector<double>.Count, k = 0;
        Vector<double> a0 = default, a1 = default, a2 = default, a3 = default;
        var xs = x.AsSpan(xo + k0, len);
        var y0 = y.AsSpan(yo + k0, len);
        var y1 = y.AsSpan(yo + ld + k0, len);
        var y2 = y.AsSpan(yo + 2 * ld + k0, len);
        var y3 = y.AsSpan(yo + 3 * ld + k0, len);
        for (; k <= len - w; k += w)
        {
            var v = new Vector<double>(xs[k..]);
            a0 += v * new Vector<double>(y0[k..]);
            a1 += v * new Vector<double>(y1[k..]);
            a2 += v * new Vector<double>(y2[k..]);
            a3 += v * new Vector<double>(y3[k..]);
        }
        double s0 = Vector.Sum(a0), s1 = Vector.Sum(a1), s2 = Vector.Sum(a2), s3 = Vector.Sum(a3);
        for (; k < len; k++)
        {
            double v = xs[k];
            s0 += v * y0[k]; s1 += v * y1[k]; s2 += v * y2[k]; s3 += v * y3[k];
        }
        s[0] = s0; s[1] = s1; s[2] = s2; s[3] = s3;
    }

    private static double Dot(double[] x, int xo, double[] y, int yo, int len)
    {
        var xs = x.AsSpan(xo, len);
        var ys = y.AsSpan(yo, len);
        int w = Vector<double>.Count, k = 0;
        Vector<double> acc = default;
        for (; k <= len - w; k += w) acc += new Vector<double>(xs[k..]) * new Vector<double>(ys[k..]);
        double s = Vector.Sum(acc);
        for (; k < len; k++) s += xs[k] * ys[k];
        return s;
    }
}
