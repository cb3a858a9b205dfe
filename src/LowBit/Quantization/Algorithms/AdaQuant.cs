using LowBit.Kernels.Gemm;
using LowBit.Nn.Optim;
using LowBit.Quantization.Algorithms.Layers;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// AdaQuant (Hubara et al. 2021, "Accurate Post Training Quantization With Small Calibration Sets", arXiv:2006.10518,
/// §3 eq. 2): per layer, continuous weights W' and bias b' are tuned through the quantizer,
/// <code>
/// min over W', b' of (1/B)·‖X_q·Q(W')ᵀ + b' − (X_f·Wᵀ + b)‖²_F
/// </code>
/// with Q(W') = grid.Nearest(W') in the forward and the straight-through estimator ∂Q/∂W' = 1 in the backward.
/// In the graph the STE is W̃ = W' + R with R = Q(W') − W' fed as an input each step (a constant to autograd).
/// W' is trained in grid steps, W' = U ⊙ s (U starts at W / s), so one learning rate fits every layer and bit width;
/// b' = b + σ·U_b, σ the RMS of the layer's float outputs. Adam (no weight decay), mini-batches of sampled rows.
/// The result is Q(W') and, for a layer that has or can take a bias, the bias refit in closed form for that W̃:
/// b' = b + W·E[x] − W̃·E[x̃] (the least-squares optimum of the bias, <see cref="BiasCorrection.Empirical"/>).
/// BN re-estimation (the paper's §4.2): BatchNormalization is folded into the weights before quantization here, so
/// re-estimating its statistics reduces to the per-output-channel mean correction, which this bias already is.
/// </summary>
internal sealed class AdaQuant : ILayerAlgorithm
{
    /// <summary>Defaults measured in docs/quantization.md ("AdaQuant").</summary>
    public const int DefaultIterations = 500;
    public const int DefaultBatchRows = 256;
    /// <summary>Adam step in grid steps (U) and in output RMS units (U_b).</summary>
    public const double DefaultLearningRate = 5e-3;

    public LayerNeeds Needs => new(true, false, Means: true);

    public LayerSolution Solve(LayerProblem problem, CancellationToken ct)
    {
        var c = problem.Config;
        var layer = problem.Layer;
        int iterations = c.Iterations ?? DefaultIterations;
        bool hasBias = problem.Bias is not null || (layer.Node.OpType is "Conv" or "Gemm" && layer.Node.Inputs.Count == 2);
        var batches = new LayerBatches(problem, c.BatchRows ?? DefaultBatchRows, withBias: true);
        var grid = problem.Grid;
        int n = problem.Weights.Length;
        var scale = new float[n];
        var u0 = new float[n];
        for (int i = 0; i < n; i++)
        {
            scale[i] = grid.Scales[i] > 0 ? grid.Scales[i] : 1f;
            u0[i] = problem.Weights[i] / scale[i];
        }
        // Row-major index of each element of the [G, C, R] layout, for the quantizer's per-element grid.
        var index = batches.RowMajorIndex();
        var shape = batches.WeightShape;
        var g = LayerBatches.NewGraph("adaquant." + layer.Key);
        g.Initializers["u"] = Tensor.FromArray(batches.ToGroupColumns(u0), shape);
        g.Initializers["scale"] = Tensor.FromArray(batches.ToGroupColumns(scale), shape);
        g.Inputs.Add(new Graph.ValueInfo("residual", DType.Float32, shape.Select(d => Graph.Dim.Known(d)).ToArray()));
        g.Add("Mul", ["u", "scale"], ["w_cont"], "w_cont");
        g.Add("Add", ["w_cont", "residual"], ["w_q"], "w_q");
        var trained = new List<string> { "u" };
        string rec = batches.AddReconstruction(g, "w_q", hasBias ? y => AddBias(g, problem, batches, y, trained) : null);
        g.Outputs.Add(new Graph.ValueInfo(rec, DType.Float32, []));

        var session = new TrainingSession(g, batches.SessionOptions());
        var adam = new AdamW(g, new AdamWOptions(c.LearningRate ?? DefaultLearningRate, weightDecay: 0), trained);
        var one = new Dictionary<string, Tensor> { [rec] = Tensor.FromArray(new[] { 1f }, []) };
        var u = g.Initializers["u"];
        int every = Math.Max(1, iterations / 10);
        double lastRec = double.NaN;
        for (int t = 0; t < iterations; t++)
        {
            ct.ThrowIfCancellationRequested();
            var (x, target) = batches.Next(problem.Random);
            var outs = session.Forward(new Dictionary<string, Tensor>
            {
                ["x"] = x, ["target"] = target, ["residual"] = Residual(grid, u.AsReadOnlySpan<float>(), scale, index, shape),
            }, training: true);
            lastRec = outs[rec].GetDouble(0);
            if ((t + 1) % every == 0 || t + 1 == iterations) problem.Report($"AdaQuant step {t + 1}/{iterations}: reconstruction {lastRec:G3}");
            adam.Step(session.Backward(one, trained));
        }
        session.ClearTape();
        var uFinal = batches.FromGroupColumns(u.AsReadOnlySpan<float>());
        var w = new float[n];
        for (int i = 0; i < n; i++) w[i] = grid.Nearest(i, uFinal[i] * scale[i]);
        var bias = BiasCorrection.Empirical(layer, problem.Weights, w, problem.Bias, problem.Data);
        string summary = $"AdaQuant {iterations} steps × {batches.Batch} rows, last reconstruction {lastRec:G3}";
        // Never worse than round to nearest with the same bias refit on the layer's objective over every captured row
        // (a guard, not in the paper: the STE can leave weights oscillating across rounding boundaries on small layers).
        var nearest = grid.NearestAll(problem.Weights);
        var nearestBias = BiasCorrection.Empirical(layer, problem.Weights, nearest, problem.Bias, problem.Data);
        double eAq = Error(problem, w, bias), eRtn = Error(problem, nearest, nearestBias);
        return eAq > eRtn ? new LayerSolution(nearest, nearestBias, summary + $"; kept round to nearest ({eRtn:G3} < {eAq:G3})")
            : new LayerSolution(w, bias, summary);
    }

    private static double Error(LayerProblem p, float[] w, float[]? bias) =>
        WeightAlgorithms.OutputError(p.Layer, p.Weights, w, bias?.Select((b, i) => b - (p.Bias?[i] ?? 0f)).ToArray(), p.Data);

    /// <summary>y + b + σ·U_b, U_b [G, 1, R] (or [R]) trained from zero; σ = RMS of the float outputs X_f·Wᵀ.</summary>
    private static string AddBias(Graph.Graph g, LayerProblem p, LayerBatches batches, string y, List<string> trained)
    {
        var b = p.Bias ?? new float[p.Layer.Rows];
        g.Initializers["bias0"] = Tensor.FromArray((float[])b.Clone(), batches.BiasShape);
        g.Initializers["bias_u"] = Tensor.Zeros(DType.Float32, batches.BiasShape);
        g.Initializers["bias_scale"] = Tensor.FromArray(new[] { (float)OutputRms(p) }, []);
        g.Add("Mul", ["bias_u", "bias_scale"], ["bias_delta"], "bias_delta");
        g.Add("Add", ["bias0", "bias_delta"], ["bias"], "bias");
        g.Add("Add", [y, "bias"], ["y"], "y");
        trained.Add("bias_u");
        return "y";
    }

    /// <summary>√(mean of (X_f·Wᵀ)²) over the captured rows (at least a tiny positive value).</summary>
    private static double OutputRms(LayerProblem p)
    {
        double sum = 0;
        long count = 0;
        int rpg = p.Layer.RowsPerGroup, cols = p.Layer.Cols, rows = p.Data.RowCount;
        var y = new float[rows * rpg];
        for (int g = 0; g < p.Layer.Groups; g++)
        {
            GemmF32.Gemm(false, true, rows, rpg, cols, 1f, p.Data.FloatRows[g], cols, p.Weights.AsSpan(g * rpg * cols, rpg * cols), cols, 0f, y, rpg);
            foreach (float v in y) sum += (double)v * v;
            count += y.Length;
        }
        return Math.Max(Math.Sqrt(sum / Math.Max(1, count)), 1e-8);
    }

    /// <summary>R = Q(W') − W' per element of the [G, C, R] layout (the STE's constant part).</summary>
    private static Tensor Residual(ElementGrid grid, ReadOnlySpan<float> u, float[] scale, int[] index, int[] shape)
    {
        var r = new float[u.Length];
        for (int j = 0; j < r.Length; j++)
        {
            int i = index[j];
            float wc = u[j] * scale[i];
            r[j] = grid.Nearest(i, wc) - wc;
        }
        return Tensor.FromArray(r, shape);
    }
}
