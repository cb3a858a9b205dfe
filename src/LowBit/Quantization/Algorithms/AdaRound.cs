using LowBit.Nn.Optim;
using LowBit.Quantization.Algorithms.Layers;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// AdaRound (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training Quantization", arXiv:2004.10568):
/// per layer, each weight rounds down or up to its grid neighbours, chosen by minimizing (eq. 21, 25)
/// <code>
/// L(V) = (1/B)·‖X_q·W̃(V)ᵀ − X_f·Wᵀ‖²_F + λ·Σ_i 1 − |2h(V_i) − 1|^β
/// </code>
/// with W̃(V) = down + h(V)·(up − down) (<see cref="SoftRounding"/>), V initialised so h(V) is the fractional part of w,
/// X_q the layer's inputs in the partially quantized model (asymmetric reconstruction, eq. 25) and X_f the float ones.
/// The loss is a graph run by <see cref="TrainingSession"/> (autograd); Adam (no weight decay) updates V on mini-batches
/// of B sampled rows. β: 20 % of the steps without the regularizer, then 20 → 2 linearly. The result is the hard rounding
/// h(V) ≥ ½ → up. Grouped convolutions run all groups in one batched MatMul.
/// </summary>
internal sealed class AdaRound : ILayerAlgorithm
{
    /// <summary>Defaults measured in docs/quantization.md ("AdaRound"): the paper uses 10 000 steps of 32 images at
    /// lr 1e-3; 500 steps at lr 2e-2 reach a hard rounding (≥ 99.9 % of h(V) at 0/1 on the seeded tests) within the CPU budget.</summary>
    public const int DefaultIterations = 500;
    public const int DefaultBatchRows = 256;
    public const double DefaultLearningRate = 2e-2;
    public const double DefaultRegularization = 0.01;

    public LayerNeeds Needs => new(true, false);

    public LayerSolution Solve(LayerProblem problem, CancellationToken ct) => Optimize(problem, ct).Solution;

    /// <summary>The solution and the final V ([Rows, Cols] row-major), whose h(V) tells how hard the rounding became.</summary>
    internal (LayerSolution Solution, float[] V) Optimize(LayerProblem problem, CancellationToken ct)
    {
        var c = problem.Config;
        int iterations = c.Iterations ?? DefaultIterations;
        double lambda = c.Regularization ?? DefaultRegularization;
        var batches = new LayerBatches(problem, c.BatchRows ?? DefaultBatchRows, withBias: false);
        var bounds = SoftRounding.Bounds(problem.Grid, problem.Weights);
        var g = LayerBatches.NewGraph("adaround." + problem.Layer.Key);
        var shape = batches.WeightShape;
        g.Initializers["v"] = Tensor.FromArray(batches.ToGroupColumns(SoftRounding.InitialV(problem.Weights, bounds.Down, bounds.Delta)), shape);
        g.Initializers["down"] = Tensor.FromArray(batches.ToGroupColumns(bounds.Down), shape);
        g.Initializers["delta"] = Tensor.FromArray(batches.ToGroupColumns(bounds.Delta), shape);
        g.Inputs.Add(new Graph.ValueInfo("beta", DType.Float32, []));
        g.Inputs.Add(new Graph.ValueInfo("lambda", DType.Float32, []));
        var (wt, reg) = SoftRounding.Add(g, "v", "down", "delta", "beta", "round");
        string rec = batches.AddReconstruction(g, wt);
        g.Add("Mul", ["lambda", reg], ["reg_weighted"], "reg_weighted");
        g.Add("Add", [rec, "reg_weighted"], ["loss"], "loss");
        g.Outputs.Add(new Graph.ValueInfo("loss", DType.Float32, []));

        var session = new TrainingSession(g, batches.SessionOptions());
        var adam = new AdamW(g, new AdamWOptions(c.LearningRate ?? DefaultLearningRate, weightDecay: 0), ["v"]);
        var one = new Dictionary<string, Tensor> { ["loss"] = Tensor.FromArray(new[] { 1f }, []) };
        int every = Math.Max(1, iterations / 10);
        double lastRec = double.NaN;
        for (int t = 0; t < iterations; t++)
        {
            ct.ThrowIfCancellationRequested();
            var (beta, on) = SoftRounding.Schedule(t, iterations);
            var (x, target) = batches.Next(problem.Random);
            var outs = session.Forward(new Dictionary<string, Tensor>
            {
                ["x"] = x, ["target"] = target,
                ["beta"] = Tensor.FromArray(new[] { beta }, []), ["lambda"] = Tensor.FromArray(new[] { on ? (float)lambda : 0f }, []),
            }, training: true, outputNames: [rec, reg]);
            lastRec = outs[rec].GetDouble(0);
            if ((t + 1) % every == 0 || t + 1 == iterations)
                problem.Report($"AdaRound step {t + 1}/{iterations}: reconstruction {lastRec:G3}, β {beta:F1}, rounding loss {outs[reg].GetDouble(0):G3}");
            adam.Step(session.Backward(one, ["v"]));
        }
        session.ClearTape();
        var v = batches.FromGroupColumns(g.Initializers["v"].AsReadOnlySpan<float>());
        double hard = SoftRounding.HardFraction(v);
        var w = SoftRounding.Harden(bounds, v);
        string summary = $"AdaRound {iterations} steps × {batches.Batch} rows, last reconstruction {lastRec:G3}, {hard:P1} of h(V) within 0.01 of 0/1";
        // Never worse than round to nearest on the layer's own objective over every captured row (a guard, not in the paper).
        var nearest = problem.Grid.NearestAll(problem.Weights);
        double eAda = WeightAlgorithms.OutputError(problem.Layer, problem.Weights, w, null, problem.Data);
        double eRtn = WeightAlgorithms.OutputError(problem.Layer, problem.Weights, nearest, null, problem.Data);
        if (eAda > eRtn) return (new LayerSolution(nearest, null, summary + $"; kept round to nearest ({eRtn:G3} < {eAda:G3})"), v);
        return (new LayerSolution(w, null, summary), v);
    }
}
