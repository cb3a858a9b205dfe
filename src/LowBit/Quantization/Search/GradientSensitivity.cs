using LowBit.Tensors;

namespace LowBit.Quantization.Search;

/// <summary>
/// Gradient-based layer sensitivity for mixed precision: the diagonal Fisher information and the Hutchinson estimate of
/// each weight's Hessian block trace, for the second-order loss model in <see cref="GradientStats"/>.
/// The loss is softmax cross-entropy ℓ of the model's single output, logits [N, C], averaged over samples. Gradients
/// are those of the inference function (BatchNormalization with running statistics, Dropout the identity), taken with
/// LowBit's autograd on a private copy of the weights: the caller's graph is never modified.
/// </summary>
internal static partial class GradientSensitivity
{
    /// <summary>
    /// Relative finite-difference step η: the weights move by ‖εv‖ = η‖w‖ (all weights together), ε = η‖w‖/‖v‖.
    /// Pre-activations are linear in each layer's weights, so the loss curves on the scale of the weights themselves; a step
    /// relative to ‖w‖ makes the error terms of (∇ℓ(w+εv) − ∇ℓ(w−εv))/2ε independent of how the model is scaled:
    /// float32 rounding O(u/η) ≈ 1e-5 (u = 2⁻²⁴), smooth truncation O(η²) ≈ 1e-4 relative.
    /// In a piecewise-linear network (ReLU, MaxPool) the difference also counts the gradient jumps of units whose
    /// pre-activation changes sign within ±εv: their number grows ∝ η and each weighs 1/η, so their sum stays O(1) (the
    /// curvature that the loss, averaged over data, really has at that scale, which the almost-everywhere Hessian of
    /// double back-propagation omits) while its variance grows ∝ 1/η. Measured on a small ReLU CNN, η = 1e-3 left the
    /// block curvatures fluctuating by tens of percent between steps; η = 1e-2 crosses enough units to average them and
    /// still keeps the smooth error near 1e-4, well below quantization-scale perturbations (several percent of ‖w‖).
    /// </summary>
    internal const double RelativeStep = 1e-2;

    /// <summary>
    /// Fisher diagonal and Hessian block traces of the weights <paramref name="weights"/> (Conv/Gemm/MatMul weight
    /// initializers of <paramref name="prepared"/>, the BatchNorm-folded graph from <c>GraphPreparation.Run</c>).
    /// <para><paramref name="batches"/>: labelled batches (input name → tensor, plus the int64 targets [N] named
    /// <paramref name="targetsName"/>) or, with <paramref name="targetsName"/> null, unlabelled ones: the targets are then
    /// the model's own argmax predictions at the float weights. With data labels F is the empirical Fisher (Kunstner et
    /// al. 2019, "Limitations of the empirical Fisher approximation"); with predicted labels it is the "true Fisher with
    /// predicted labels" approximation: the true Fisher averages over y ~ p(y|x), here y is the mode of p(y|x).</para>
    /// <para>Fisher: F_ii = (1/S) Σ_s (∂ℓ_s/∂w_i)² with per-sample gradients (each batch split into batches of one).
    /// Hessian: Hutchinson (1990): for Rademacher v over all weights at once, E[vvᵀ] = I, so
    /// Tr(H_ww) = E[v_wᵀ(Hv)_w] (HAWQ-V2, Dong et al. 2020); Hv = (∇ℓ(w+εv) − ∇ℓ(w−εv))/2ε + O(ε²) on each batch's mean loss,
    /// weighted by its rows, ε from <see cref="RelativeStep"/>; averaged over <paramref name="probes"/> vectors, each on all
    /// batches. Zero probes gives the Fisher only.</para>
    /// <para>Memory is bounded by the weights (a few copies of them), not the samples: <paramref name="batches"/> is
    /// enumerated max(1, <paramref name="probes"/>) times (once per probe; the Fisher rides on the first pass), one batch at
    /// a time. Each pass is normalized by its own sample count. Progress counts samples visited, the total is
    /// S·max(1, probes) (0 until S is known when <paramref name="batches"/> is not a collection).</para>
    /// </summary>
    public static GradientStats Compute(Graph.Graph prepared, IReadOnlyList<string> weights, IEnumerable<IReadOnlyDictionary<string, Tensor>> batches,
        string? targetsName, int probes = 8, int seed = 0, int threads = 0, IProgress<(long Done, long Total)>? progress = null, CancellationToken cancel = default)
    {
        if (probes < 0) throw new ArgumentOutOfRangeException(nameof(probes), "probes must be ≥ 0");
        var ws = new Workspace(prepared, weights, targetsName, threads);
        int m = ws.Weights.Length, passes = Math.Max(1, probes);
        var fisher = ws.Sizes.Select(n => new double[n]).ToArray();
        var trace = new double[m];
        var rng = new Random(seed);
        var v = ws.Sizes.Select(n => new float[n]).ToArray();
        long samples = 0, done = 0;
        long total = batches is IReadOnlyCollection<IReadOnlyDictionary<string, Tensor>> known
            ? passes * known.Sum(b => (long)ws.Rows(b)) : 0;
        for (int p = 0; p < passes; p++)
        {
            if (probes > 0) Rademacher(v, rng);
            double eps = Step(ws.Norm, v, RelativeStep);
            var dot = new double[m];
            long seen = 0;
            foreach (var batch in batches)
            {
                cancel.ThrowIfCancellationRequested();
                var labels = ws.Labels(batch);
                int n = ws.BatchSize(batch, labels);
                if (p == 0)
                    for (int r = 0; r < n; r++)
                    {
                        var g = ws.Gradient(ws.Row(batch, r), Tensor.FromArray(new[] { labels.GetInt64(r) }, 1));
                        for (int k = 0; k < m; k++) AddSquares(fisher[k], g[k].AsReadOnlySpan<float>());
                    }
                if (probes > 0)
                {
                    // n·v_wᵀ(∇ℓ_b(w+εv) − ∇ℓ_b(w−εv))_w / 2ε: the batch mean's Hv weighted by its rows.
                    var hv = CentralDifference(ws, batch, labels, v, eps);
                    for (int k = 0; k < m; k++) dot[k] += n * Dot(v[k], hv[k]);
                }
                seen += n;
                done += n;
                progress?.Report((done, total));
            }
            if (seen == 0) throw new LowBitException(ErrorKind.InvalidInput, $"gradient sensitivity got no samples (pass {p + 1} of {passes})");
            if (p == 0)
            {
                samples = seen;
                if (total == 0) total = passes * seen;
            }
            if (probes > 0) for (int k = 0; k < m; k++) trace[k] += dot[k] / seen;
        }
        var fisherOut = new Dictionary<string, float[]>();
        var traceOut = new Dictionary<string, double>();
        for (int k = 0; k < m; k++)
        {
            fisherOut[ws.Weights[k]] = fisher[k].Select(s => (float)(s / samples)).ToArray();
            if (probes > 0) traceOut[ws.Weights[k]] = trace[k] / probes;
        }
        return new GradientStats(fisherOut, traceOut, checked((int)samples), probes);
    }

    /// <summary>
    /// The Hessian-vector product H·v of the mean per-sample loss over <paramref name="batches"/> (enumerated once), by the
    /// same central difference as <see cref="Compute"/>: for checking against closed forms and for power iteration
    /// (top eigenvalue, HAWQ, Dong et al. 2019). <paramref name="v"/> maps each weight to a direction of its size;
    /// <paramref name="relativeStep"/> is η of <see cref="RelativeStep"/> (‖εv‖ = η‖w‖).
    /// </summary>
    public static Dictionary<string, float[]> HessianVector(Graph.Graph prepared, IReadOnlyList<string> weights,
        IEnumerable<IReadOnlyDictionary<string, Tensor>> batches, string? targetsName, IReadOnlyDictionary<string, float[]> v,
        int threads = 0, double relativeStep = RelativeStep, CancellationToken cancel = default)
    {
        var ws = new Workspace(prepared, weights, targetsName, threads);
        var dir = ws.Weights.Select((w, k) => v.TryGetValue(w, out var d) && d.Length == ws.Sizes[k] ? d
            : throw new ArgumentException($"direction for weight '{w}' must have {ws.Sizes[k]} elements", nameof(v))).ToArray();
        double eps = Step(ws.Norm, dir, relativeStep);
        var sum = ws.Sizes.Select(n => new double[n]).ToArray();
        long seen = 0;
        foreach (var batch in batches)
        {
            cancel.ThrowIfCancellationRequested();
            var labels = ws.Labels(batch);
            int n = ws.BatchSize(batch, labels);
            var hv = CentralDifference(ws, batch, labels, dir, eps);
            for (int k = 0; k < sum.Length; k++)
                for (int i = 0; i < sum[k].Length; i++) sum[k][i] += (double)n * hv[k][i];
            seen += n;
        }
        if (seen == 0) throw new LowBitException(ErrorKind.InvalidInput, "gradient sensitivity got no samples");
        return ws.Weights.Select((w, k) => (w, sum[k].Select(s => (float)(s / seen)).ToArray())).ToDictionary(t => t.w, t => t.Item2);
    }

    /// <summary>(∇ℓ(w+εd) − ∇ℓ(w−εd))/2ε on one batch's mean loss, per weight; restores w.</summary>
    private static float[][] CentralDifference(Workspace ws, IReadOnlyDictionary<string, Tensor> batch, Tensor labels, float[][] d, double eps)
    {
        ws.Perturb(d, eps);
        var plus = ws.Gradient(batch, labels);
        ws.Perturb(d, -eps);
        var minus = ws.Gradient(batch, labels);
        ws.Restore();
        var hv = new float[plus.Length][];
        for (int k = 0; k < hv.Length; k++)
        {
            var a = plus[k].AsReadOnlySpan<float>();
            var b = minus[k].AsReadOnlySpan<float>();
            var h = hv[k] = new float[a.Length];
            for (int i = 0; i < h.Length; i++) h[i] = (float)((a[i] - (double)b[i]) / (2 * eps));
        }
        return hv;
    }

    /// <summary>ε = η‖w‖/‖d‖ (η absolute when every weight is zero).</summary>
    private static double Step(double weightNorm, float[][] d, double eta)
    {
        double sq = 0;
        foreach (var a in d) foreach (float x in a) sq += (double)x * x;
        double scale = weightNorm > 0 ? weightNorm : 1;
        return sq > 0 ? eta * scale / Math.Sqrt(sq) : eta;
    }

    private static void Rademacher(float[][] v, Random rng)
    {
        foreach (var a in v) for (int i = 0; i < a.Length; i++) a[i] = rng.Next(2) == 0 ? -1f : 1f;
    }

    private static void AddSquares(double[] acc, ReadOnlySpan<float> g)
    {
        for (int i = 0; i < acc.Length; i++) acc[i] += (double)g[i] * g[i];
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }
}
