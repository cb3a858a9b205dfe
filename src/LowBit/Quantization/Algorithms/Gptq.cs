using LowBit.Kernels.Gemm;
using LowBit.Quantization.Algorithms.Layers;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// GPTQ (Frantar et al. 2023, arXiv:2210.17323, Algorithm 1): the codes of each row minimize ‖X·(W̃ − W)ᵀ‖² with
/// H = XᵀX/N (the layer's input Hessian, one per Conv group). Columns are quantized one at a time; the error of column k
/// is spread over the columns not yet quantized through the inverse Hessian (the OBS update, Frantar &amp; Alistarh 2022):
/// <code>
///   q_k = nearest(w_k),   e = (w_k − q_k) / U_kk,   W[:, j] −= e·U[k, j]  (j &gt; k)
/// </code>
/// where U is the upper Cholesky factor of H⁻¹ (H⁻¹ = UᵀU): row k of U, scaled by 1/U_kk, is the row of the inverse
/// Hessian of the remaining columns that the OBS update needs (§4, "Cholesky reformulation"), so one factorization serves
/// every step. Lazy batch updates (§4, "Lazy batch-updates"): within a block of <see cref="BlockSize"/> columns the update
/// touches only the block; the trailing columns receive the block's errors at once, W[:, b₁:] −= E·U[b₀:b₁, b₁:] (a GEMM).
/// <para>Scales are fixed before GPTQ runs ("static groups"): nearest() is the element's own grid
/// (<see cref="ElementGrid.Nearest"/>), so with act-order the permuted column k reads the grid of original column perm[k].
/// Dampening λ = d·mean(diag H) is added to the diagonal (§5 "Setup"); a column no input ever reaches (H_kk = 0) gets
/// H_kk = 1 and W[:, k] = 0, as in the reference implementation. When the Cholesky fails, d is raised ×10 and retried.</para>
/// </summary>
internal sealed class Gptq : ILayerAlgorithm
{
    public const int BlockSize = 128;
    private const int MaxRetries = 4;

    public LayerNeeds Needs => new(Rows: true, Hessian: true);

    public LayerSolution Solve(LayerProblem problem, CancellationToken ct)
    {
        var layer = problem.Layer;
        var hessians = problem.Data.Hessian ?? throw new InvalidOperationException($"{layer.Key}: GPTQ needs the layer Hessian");
        int rpg = layer.RowsPerGroup, cols = layer.Cols;
        var result = new float[problem.Weights.Length];
        var stats = new Stats();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int g = 0; g < layer.Groups; g++)
        {
            ct.ThrowIfCancellationRequested();
            int off = g * rpg * cols;
            var q = Quantize(problem.Weights.AsSpan(off, rpg * cols), rpg, cols, hessians[g], problem.Grid, off,
                problem.Config.ActOrder, problem.Config.Dampening, BlockSize, stats,
                layer.Groups == 1 ? problem.Report : null, ct);
            q.CopyTo(result, off);
        }
        return new LayerSolution(result, null, stats.Summary(problem.Config, BlockSize) + $" ({clock.Elapsed.TotalSeconds:F2} s)");
    }

    /// <summary>Counters for the summary line: dead columns, and the highest dampening a retry needed.</summary>
    internal sealed class Stats
    {
        public int DeadColumns;
        public double MaxDampening;

        public string Summary(AlgorithmConfig c, int block) =>
            $"gptq: {(c.ActOrder ? "act-order, " : "")}damp {c.Dampening:G3}, block {block}"
            + (MaxDampening > c.Dampening ? $", damp raised to {MaxDampening:G3}" : "")
            + (DeadColumns > 0 ? $", {DeadColumns} dead columns" : "");
    }

    /// <summary>
    /// GPTQ on one [rows, cols] row-major matrix <paramref name="w"/> with Hessian <paramref name="hessian"/> [cols, cols];
    /// element (r, k) is grid element <paramref name="gridOffset"/> + r·cols + k. Returns the chosen grid values, same layout.
    /// </summary>
    internal static float[] Quantize(ReadOnlySpan<float> w, int rows, int cols, ReadOnlySpan<double> hessian, ElementGrid grid,
        int gridOffset, bool actOrder, double dampening, int blockSize, Stats? stats, Action<string>? report, CancellationToken ct)
    {
        var h = hessian.ToArray();
        var dead = new bool[cols];
        for (int k = 0; k < cols; k++)
            if (h[k * cols + k] == 0) { h[k * cols + k] = 1; dead[k] = true; if (stats is not null) stats.DeadColumns++; }

        // perm[k] = original column of processed column k (act-order: descending diag H, ties by index, §5 "act-order").
        var perm = Enumerable.Range(0, cols).ToArray();
        if (actOrder) perm = perm.OrderByDescending(k => h[k * cols + k]).ThenBy(k => k).ToArray();

        var hp = h;
        if (actOrder)
        {
            hp = new double[cols * cols];
            for (int i = 0; i < cols; i++)
                for (int j = 0; j < cols; j++) hp[i * cols + j] = h[perm[i] * cols + perm[j]];
        }
        var work = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++) work[r * cols + k] = dead[perm[k]] ? 0 : w[r * cols + perm[k]];

        var u = Factor(hp, cols, dampening, stats, report, ct);
        var uf = new float[cols * cols];
        for (int i = 0; i < uf.Length; i++) uf[i] = (float)u[i];

        var qp = new float[rows * cols];
        var err = new float[rows * blockSize];
        for (int b0 = 0, bi = 0; b0 < cols; b0 += blockSize, bi++)
        {
            ct.ThrowIfCancellationRequested();
            int b1 = Math.Min(cols, b0 + blockSize), nb = b1 - b0;
            for (int k = b0; k < b1; k++)
            {
                float ukk = uf[k * cols + k];
                var urow = uf.AsSpan(k * cols + k + 1, b1 - k - 1);
                for (int r = 0; r < rows; r++)
                {
                    var wr = work.AsSpan(r * cols + k + 1, b1 - k - 1);
                    float x = work[r * cols + k];
                    float q = grid.Nearest(gridOffset + r * cols + perm[k], x);
                    qp[r * cols + k] = q;
                    float e = (x - q) / ukk;
                    err[r * nb + (k - b0)] = e;
                    // W[r, k+1:b₁] −= e·U[k, k+1:b₁]
                    for (int j = 0; j < wr.Length; j++) wr[j] -= e * urow[j];
                }
            }
            if (b1 < cols)
                GemmF32.Gemm(false, false, rows, cols - b1, nb, -1f, err, nb, uf.AsSpan(b0 * cols + b1), cols, 1f,
                    work.AsSpan(b1), cols);
            if (report is not null && cols >= 1024 && bi % 8 == 7) report($"gptq: column {b1}/{cols}");
        }

        var q0 = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++) q0[r * cols + perm[k]] = qp[r * cols + k];
        return q0;
    }

    /// <summary>U (upper, H⁻¹ = UᵀU) of H + λI, λ = d·mean(diag H); d ×10 per failed factorization.</summary>
    private static double[] Factor(double[] h, int n, double dampening, Stats? stats, Action<string>? report, CancellationToken ct)
    {
        double mean = 0;
        for (int k = 0; k < n; k++) mean += h[k * n + k];
        mean /= n;
        double applied = 0;
        for (int attempt = 0; ; attempt++)
        {
            double lambda = dampening * mean;
            for (int k = 0; k < n; k++) h[k * n + k] += lambda - applied;
            applied = lambda;
            if (report is not null && n >= 1024) report($"gptq: factoring the {n}×{n} Hessian");
            if (InverseCholesky.Factor(h, n, ct) is { } u)
            {
                if (stats is not null) stats.MaxDampening = Math.Max(stats.MaxDampening, dampening);
                return u;
            }
            if (attempt == MaxRetries)
                throw new LowBitException(ErrorKind.InvalidInput,
                    $"GPTQ: the layer Hessian is not positive definite even with dampening {dampening:G3} (non-finite calibration inputs?)");
            report?.Invoke($"gptq: Cholesky failed at dampening {dampening:G3}, retrying with {dampening * 10:G3}");
            dampening *= 10;
        }
    }
}
