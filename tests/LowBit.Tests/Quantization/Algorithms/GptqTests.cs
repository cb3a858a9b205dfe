using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Algorithms;
using LowBit.Quantization.Algorithms.Layers;
using Xunit;

namespace LowBit.Tests.Quantization.Algorithms;

public class GptqTests
{
    /// <summary>
    /// OBQ-style GPTQ without any reformulation (Frantar et al. 2023, eq. 2–3): keep the explicit inverse Hessian of the
    /// not-yet-quantized columns, q_p = nearest(w_p), w_j −= (w_p − q_p)/H⁻¹_pp · H⁻¹_pj for every remaining j, then remove
    /// p from H⁻¹ by one Gaussian elimination step H⁻¹ −= H⁻¹[:, p]·H⁻¹[p, :]/H⁻¹_pp. Double precision throughout.
    /// </summary>
    private static float[] Reference(float[] w, int rows, int cols, double[] hessian, ElementGrid grid, bool actOrder, double damp)
    {
        var h = (double[])hessian.Clone();
        var wd = w.Select(v => (double)v).ToArray();
        for (int k = 0; k < cols; k++)
            if (h[k * cols + k] == 0) { h[k * cols + k] = 1; for (int r = 0; r < rows; r++) wd[r * cols + k] = 0; }
        double mean = Enumerable.Range(0, cols).Average(k => h[k * cols + k]);
        for (int k = 0; k < cols; k++) h[k * cols + k] += damp * mean;
        var hinv = Invert(h, cols);
        var order = Enumerable.Range(0, cols).ToArray();
        if (actOrder) order = order.OrderByDescending(k => h[k * cols + k]).ThenBy(k => k).ToArray();
        var done = new bool[cols];
        var q = new float[rows * cols];
        foreach (int p in order)
        {
            double d = hinv[p * cols + p];
            for (int r = 0; r < rows; r++)
            {
                float v = grid.Nearest(r * cols + p, (float)wd[r * cols + p]);
                q[r * cols + p] = v;
                double e = (wd[r * cols + p] - v) / d;
                for (int j = 0; j < cols; j++)
                    if (!done[j] && j != p) wd[r * cols + j] -= e * hinv[p * cols + j];
            }
            done[p] = true;
            var col = Enumerable.Range(0, cols).Select(i => hinv[i * cols + p]).ToArray();
            var row = Enumerable.Range(0, cols).Select(j => hinv[p * cols + j]).ToArray();
            for (int i = 0; i < cols; i++)
                for (int j = 0; j < cols; j++) hinv[i * cols + j] -= col[i] * row[j] / d;
        }
        return q;
    }

    /// <summary>Gauss–Jordan inverse with partial pivoting.</summary>
    private static double[] Invert(double[] m, int n)
    {
        var a = (double[])m.Clone();
        var inv = new double[n * n];
        for (int i = 0; i < n; i++) inv[i * n + i] = 1;
        for (int c = 0; c < n; c++)
        {
            int piv = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(a[r * n + c]));
            for (int j = 0; j < n; j++)
            {
                (a[c * n + j], a[piv * n + j]) = (a[piv * n + j], a[c * n + j]);
                (inv[c * n + j], inv[piv * n + j]) = (inv[piv * n + j], inv[c * n + j]);
            }
            double d = a[c * n + c];
            for (int j = 0; j < n; j++) { a[c * n + j] /= d; inv[c * n + j] /= d; }
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = a[r * n + c];
                if (f == 0) continue;
                for (int j = 0; j < n; j++) { a[r * n + j] -= f * a[c * n + j]; inv[r * n + j] -= f * inv[c * n + j]; }
            }
        }
        return inv;
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>X [n, cols] = Z·A + noise·E: <paramref name="rank"/> dominant directions (Z, A, E standard normal), so H is
    /// far from diagonal and GPTQ's compensation has something to exploit.</summary>
    private static float[] CorrelatedInputs(int n, int cols, int rank, double noise, Random rng)
    {
        var a = Enumerable.Range(0, rank * cols).Select(_ => Gaussian(rng)).ToArray();
        var x = new float[n * cols];
        var z = new double[rank];
        for (int i = 0; i < n; i++)
        {
            for (int t = 0; t < rank; t++) z[t] = Gaussian(rng);
            for (int k = 0; k < cols; k++)
            {
                double v = noise * Gaussian(rng);
                for (int t = 0; t < rank; t++) v += z[t] * a[t * cols + k];
                x[i * cols + k] = (float)v;
            }
        }
        return x;
    }

    private static double[] Hessian(float[] x, int n, int cols)
    {
        var h = new double[cols * cols];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < cols; j++)
                for (int k = 0; k < cols; k++) h[j * cols + k] += (double)x[i * cols + j] * x[i * cols + k] / n;
        return h;
    }

    /// <summary>Symmetric grid, scale max|w|/qmax per row (group = 0) or per <paramref name="group"/> columns.</summary>
    private static ElementGrid Grid(float[] w, int rows, int cols, int bits, int group = 0)
    {
        var f = (IntFormat)FormatTable.Get("int" + bits);
        int g = group == 0 ? cols : group;
        var s = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c0 = 0; c0 < cols; c0 += g)
            {
                float m = 0;
                for (int k = c0; k < Math.Min(cols, c0 + g); k++) m = Math.Max(m, Math.Abs(w[r * cols + k]));
                for (int k = c0; k < Math.Min(cols, c0 + g); k++) s[r * cols + k] = m > 0 ? m / f.Qmax : 1;
            }
        return new ElementGrid(f, s, new int[w.Length]);
    }

    private static float[] Weights(int rows, int cols, Random rng) => Enumerable.Range(0, rows * cols).Select(_ => (float)Gaussian(rng)).ToArray();

    /// <summary>‖X·(W̃ − W)ᵀ‖² / ‖X·Wᵀ‖².</summary>
    private static double OutputError(float[] x, int n, float[] w, float[] q, int rows, int cols)
    {
        double num = 0, den = 0;
        for (int i = 0; i < n; i++)
            for (int r = 0; r < rows; r++)
            {
                double y = 0, e = 0;
                for (int k = 0; k < cols; k++) { y += (double)x[i * cols + k] * w[r * cols + k]; e += (double)x[i * cols + k] * (q[r * cols + k] - w[r * cols + k]); }
                num += e * e; den += y * y;
            }
        return num / den;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Quantize_SmallMatrix_SameCodesAsUnblockedReference(bool actOrder)
    {
        const int rows = 8, cols = 24, n = 256;
        var rng = new Random(11);
        var x = CorrelatedInputs(n, cols, 3, 0.3, rng);
        // Uneven column scales so act-order really permutes.
        for (int i = 0; i < n; i++)
            for (int k = 0; k < cols; k++) x[i * cols + k] *= 1 + k % 5;
        var h = Hessian(x, n, cols);
        var w = Weights(rows, cols, rng);
        var grid = Grid(w, rows, cols, 4);
        // Block 8 < 24 columns: three blocks, two lazy trailing updates.
        var got = Gptq.Quantize(w, rows, cols, h, grid, 0, actOrder, 0.01, 8, null, null, default);
        var want = Reference(w, rows, cols, h, grid, actOrder, 0.01);
        // Float32 updates against a double reference: codes agree unless a value lands within ~1e-6 of a rounding
        // boundary, which this seed does not produce; all 192 codes must match.
        Assert.Equal(want, got);
    }

    [Theory]
    [InlineData(4, 0)]
    [InlineData(4, 32)]
    [InlineData(3, 0)]
    [InlineData(3, 32)]
    public void Quantize_CorrelatedInputs_OutputErrorWellBelowNearest(int bits, int group)
    {
        const int rows = 32, cols = 128, n = 1024;
        var rng = new Random(5);
        var x = CorrelatedInputs(n, cols, 8, 0.2, rng);
        var h = Hessian(x, n, cols);
        var w = Weights(rows, cols, rng);
        var grid = Grid(w, rows, cols, bits, group);
        var rtn = grid.NearestAll(w);
        var q = Gptq.Quantize(w, rows, cols, h, grid, 0, false, 0.01, Gptq.BlockSize, null, null, default);
        double eRtn = OutputError(x, n, w, rtn, rows, cols), eGptq = OutputError(x, n, w, q, rows, cols);
        // With 8 dominant directions in 128 columns, most rounding error is compensable: GPTQ must at least halve it.
        Assert.True(eGptq < 0.5 * eRtn, $"int{bits} group {group}: gptq {eGptq:G4} vs nearest {eRtn:G4}");
        var qa = Gptq.Quantize(w, rows, cols, h, grid, 0, true, 0.01, Gptq.BlockSize, null, null, default);
        Assert.True(OutputError(x, n, w, qa, rows, cols) < 0.5 * eRtn, "act-order");
    }

    [Fact]
    public void Quantize_DeadColumn_ZeroAndEveryValueOnGrid()
    {
        const int rows = 16, cols = 40, n = 200, deadCol = 7;
        var rng = new Random(3);
        var x = CorrelatedInputs(n, cols, 4, 0.5, rng);
        for (int i = 0; i < n; i++) x[i * cols + deadCol] = 0;
        var h = Hessian(x, n, cols);
        var w = Weights(rows, cols, rng);
        var grid = Grid(w, rows, cols, 3, 8);
        var stats = new Gptq.Stats();
        foreach (bool act in new[] { false, true })
        {
            var q = Gptq.Quantize(w, rows, cols, h, grid, 0, act, 0.01, 16, stats, null, default);
            for (int i = 0; i < q.Length; i++) Assert.Equal(grid.Nearest(i, q[i]), q[i]);
            for (int r = 0; r < rows; r++) Assert.Equal(0f, q[r * cols + deadCol]);
            Assert.All(q, v => Assert.True(float.IsFinite(v)));
        }
        Assert.Equal(2, stats.DeadColumns);
    }

    [Fact]
    public void Quantize_SingularHessian_DampeningMakesItSolvable()
    {
        // Rank 2 in 64 columns: H alone is singular; λ = 0.01·mean diag makes it positive definite.
        const int rows = 4, cols = 64, n = 100;
        var rng = new Random(9);
        var x = CorrelatedInputs(n, cols, 2, 0, rng);
        var h = Hessian(x, n, cols);
        var w = Weights(rows, cols, rng);
        var grid = Grid(w, rows, cols, 4);
        var q = Gptq.Quantize(w, rows, cols, h, grid, 0, true, 0.01, 16, null, null, default);
        Assert.True(OutputError(x, n, w, q, rows, cols) < 0.5 * OutputError(x, n, w, grid.NearestAll(w), rows, cols));
    }

    [Fact]
    public void Factor_RandomSpd_UtransposeUIsTheInverse()
    {
        // n = 150 > the 64-column block: exercises the blocked left-looking updates and a partial last block.
        const int n = 150;
        var rng = new Random(1);
        var x = CorrelatedInputs(400, n, 20, 0.5, rng);
        var h = Hessian(x, 400, n);
        var u = InverseCholesky.Factor(h, n, default)!;
        Assert.NotNull(u);
        var hinv = Invert(h, n);
        double maxAbs = hinv.Max(Math.Abs);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (j < i) Assert.Equal(0, u[i * n + j]);
                double s = 0;
                for (int k = 0; k <= Math.Min(i, j); k++) s += u[k * n + i] * u[k * n + j];
                // Condition number ~1e3 here: double round-off stays far below 1e-9 of the largest entry.
                Assert.True(Math.Abs(s - hinv[i * n + j]) <= 1e-9 * maxAbs, $"({i},{j}): {s} vs {hinv[i * n + j]}");
            }
        var bad = (double[])h.Clone();
        bad[5 * n + 5] = -1;
        Assert.Null(InverseCholesky.Factor(bad, n, default));
    }
}
