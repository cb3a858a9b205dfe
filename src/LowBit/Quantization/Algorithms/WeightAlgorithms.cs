using LowBit.Formats;
using LowBit.Kernels.Gemm;
using LowBit.Quantization.Observers;
using LowBit.Quantization.Algorithms.Layers;
using LowBit.Quantization.Qdq;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms;

/// <summary>Progress of a weight algorithm: layer (or block) <see cref="Done"/> of <see cref="Total"/>, and a line of detail.</summary>
public readonly record struct AlgorithmProgress(int Done, int Total, string Detail);

/// <summary>What an algorithm did to one weight: its summary and the layer's relative output error
/// ‖X_q·W̃ᵀ − X_f·Wᵀ‖² / ‖X_f·Wᵀ‖² on the sampled calibration rows, with round to nearest and with the algorithm (null
/// when no data was captured: analytic bias correction alone).</summary>
public sealed record AlgorithmOutcome(string Algorithm, string Summary, double? ErrorNearest, double? ErrorAlgorithm);

/// <summary>
/// Runs the configured weight algorithm over the marked weights of the prepared graph, after their scales are fixed and
/// before the rewriters store them (QuantizePipeline). Layers go in graph order; each sees the outputs of its already
/// solved predecessors (<see cref="AlgorithmConfig.QuantizedInputs"/>). The chosen values are written into the graph as
/// grid values, so the rewriters' round to nearest reproduces exactly the chosen codes; bias corrections go into the
/// biases. Weights without a matrix view (<see cref="LinearLayer.TryCreate"/>) keep round to nearest, with a warning.
/// </summary>
internal static class WeightAlgorithms
{
    /// <summary>Calibration samples kept for the algorithms unless <see cref="AlgorithmConfig.Samples"/> says otherwise.</summary>
    public const int DefaultSamples = 128;

    public static Dictionary<string, AlgorithmOutcome> Run(Graph.Graph g, QdqPlan plan, QdqParams p, AlgorithmConfig config,
        IReadOnlyList<IReadOnlyDictionary<string, Tensor>> samples, CalibrationOptions copts, IProgress<AlgorithmProgress>? progress,
        List<string> warnings, CancellationToken ct, BatchNormStats? batchNorms = null)
    {
        var outcomes = new Dictionary<string, AlgorithmOutcome>(StringComparer.Ordinal);
        if (config.IsNearest) return outcomes;
        if (samples.Count == 0 && config.NeedsData)
            throw new LowBitException(ErrorKind.Usage, $"{config} needs calibration data (--calib-data)");
        var order = new Dictionary<Graph.Node, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < g.Nodes.Count; i++) order[g.Nodes[i]] = i;
        var layers = new List<LinearLayer>();
        foreach (var (name, mark) in plan.Weights.OrderBy(kv => order.TryGetValue(kv.Value.Node, out int i) ? i : int.MaxValue))
        {
            if (LinearLayer.TryCreate(g, mark, p.Weights[name], out var reason) is { } layer) layers.Add(layer);
            else warnings.Add($"{config}: '{name}' keeps round to nearest ({reason})");
        }
        if (config.Algorithm == WeightAlgorithm.Brecq) return Brecq.Run(g, plan, layers, p, config, samples, copts, progress, ct);
        var sim = new QuantSimulation(g, layers,
            p.Activations, samples, copts.Streams, copts.Threads ?? Environment.ProcessorCount);
        var algorithm = Create(config.Algorithm);
        var rng = new Random(config.Seed);
        var attention = config.TokenWeighting == TokenWeighting.Attention
            ? layers.ToDictionary(l => l, l => TokenImportance.NearestAttention(g, l.Node)) : null;
        if (attention is not null && attention.Values.All(a => a is null))
            warnings.Add($"{config}: the model has no attention Softmax (one read by a MatMul as P·V); every token weighs the same");
        var blockInputs = BlockInputs(g, layers);
        for (int li = 0; li < layers.Count; li++)
        {
            ct.ThrowIfCancellationRequested();
            var layer = layers[li];
            progress?.Report(new AlgorithmProgress(li, layers.Count, $"{layer}: capturing inputs"));
            // Every layer before this one is final: its block's input can be stored and later captures run from there.
            if (samples.Count > 0 && blockInputs.TryGetValue(layer.Node, out var cut)) sim.Advance(cut, ct);
            var grid = layer.Grid();
            var w = layer.ReadMatrix(sim.Float);
            var bias = layer.Bias is { } b ? QdqParams.Floats(sim.Float.Initializers[b]).ToArray() : null;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            bool codebook = grid.Format is CodebookFormat { IsLearned: true };
            var data = samples.Count == 0 ? null
                : LayerCapture.Run(sim, layer, new LayerNeeds(true, algorithm?.Needs.Hessian ?? false,
                    (algorithm?.Needs.Means ?? false) || config.BiasCorrection == BiasCorrectionKind.Empirical, attention?[layer], Diagonal: codebook),
                    config.QuantizedInputs, rng, ct);
            var diagonals = codebook ? data?.HessianDiagonal : null;
            if (diagonals is not null)
            {
                // The layer's data is known now: refit its codebook with the Hessian diagonal (CodebookFit.HessianWeighted).
                grid = new ElementGrid(CodebookFit.HessianWeighted((CodebookFormat)grid.Format, w, grid.Scales, layer.RowsPerGroup, layer.Cols, diagonals),
                    grid.Scales, grid.Zeros);
                var q = layer.Params;
                p.Weights[layer.Weight] = new QuantParams(grid.Format, q.Granularity, q.Scales, q.ZeroPoints, q.ScaleShape);
            }
            var nearest = grid.NearestAll(w);
            var captured = clock.Elapsed;
            var solution = algorithm is null
                ? new LayerSolution(nearest, null, "round to nearest")
                : algorithm.Solve(new LayerProblem(layer, grid, w, bias, data!, config, rng, line => progress?.Report(new AlgorithmProgress(li, layers.Count, $"{layer}: {line}"))), ct);
            CheckOnGrid(layer, grid, solution.Weights);
            var newBias = solution.Bias ?? bias;
            if (config.BiasCorrection == BiasCorrectionKind.Empirical)
                newBias = BiasCorrection.Empirical(layer, w, solution.Weights, newBias, data!);
            else if (config.BiasCorrection == BiasCorrectionKind.Analytic)
            {
                if (batchNorms?.InputMean(sim.Float, layer.Input) is { } mean) newBias = BiasCorrection.Analytic(layer, w, solution.Weights, newBias, mean);
                else warnings.Add($"analytic bias correction: {layer.Key} is not fed by a BatchNormalization (optionally through Relu/Clip); its bias is left as is");
            }
            double? before = data is null ? null : OutputError(layer, w, nearest, null, data);
            double? after = data is null ? null : OutputError(layer, w, solution.Weights, BiasShift(bias, newBias), data);
            layer.WriteMatrix(sim.Quantized, solution.Weights);
            if (newBias is not null) SetBias(sim.Quantized, layer, newBias);
            if (data is { TokenWeighted: true }) solution = solution with { Summary = solution.Summary + ", token-weighted Hessian" };
            if (diagonals is not null) solution = solution with { Summary = solution.Summary + ", Hessian-weighted codebook" };
            outcomes[layer.Weight] = new AlgorithmOutcome(config.ToString(), solution.Summary, before, after);
            progress?.Report(new AlgorithmProgress(li + 1, layers.Count, $"{layer}: {solution.Summary}{(before is null ? "" : $"; output error {before:G3} → {after:G3}")}; {Seconds(captured)} capture, {Seconds(clock.Elapsed - captured)} solve"));
        }
        foreach (var layer in layers)
        {
            g.Initializers[layer.Weight] = sim.Quantized.Initializers[layer.Weight];
            string bias = layer.Bias ?? BiasName(layer);
            if (!sim.Quantized.Initializers.TryGetValue(bias, out var bt)) continue;
            g.Initializers[bias] = bt;
            if (layer.Bias is null) layer.Node.Inputs.Add(bias);
        }
        return outcomes;
    }

    /// <summary>Each layer's enclosing single-entry block input (<see cref="Blocks.BlockPartition"/>), the checkpoints of
    /// <see cref="QuantSimulation.Advance"/>.</summary>
    private static Dictionary<Graph.Node, string> BlockInputs(Graph.Graph g, List<LinearLayer> layers)
    {
        var result = new Dictionary<Graph.Node, string>(ReferenceEqualityComparer.Instance);
        foreach (var block in Blocks.BlockPartition.Find(g, layers.Select(l => l.Node).ToList()))
            foreach (var n in block.Layers) result[n] = block.Input;
        return result;
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:F1} s";

    private static ILayerAlgorithm? Create(WeightAlgorithm a) => a switch
    {
        WeightAlgorithm.Nearest => null,
        WeightAlgorithm.AdaRound => new AdaRound(),
        WeightAlgorithm.AdaQuant => new AdaQuant(),
        WeightAlgorithm.Gptq => new Gptq(),
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "BRECQ runs block by block (Brecq.Run), not through this layer loop"),
    };

    private static string BiasName(LinearLayer layer) => layer.Weight + "_bias_correction";

    /// <summary>Writes a bias into the simulated graph; a Conv/Gemm without one gets a new initializer read by its copy of
    /// the node (MatMul has no bias input: the correction is dropped there, with round to nearest's mean error).</summary>
    private static void SetBias(Graph.Graph g, LinearLayer layer, float[] bias)
    {
        var t = Tensor.FromArray(bias, bias.Length);
        if (layer.Bias is { } b)
        {
            g.Initializers[b] = g.Initializers[b].DType == DType.Float32 ? t : Elementwise.Cast(t, g.Initializers[b].DType);
            return;
        }
        if (layer.Node.OpType is not ("Conv" or "Gemm") || layer.Node.Inputs.Count != 2) return;
        string name = BiasName(layer);
        g.Initializers[name] = t;
        var copy = g.Nodes.First(n => n.Outputs.Count > 0 && n.Outputs[0] == layer.Node.Outputs[0]);
        if (copy.Inputs.Count == 2) copy.Inputs.Add(name);
    }

    /// <summary>Throws unless every element of <paramref name="w"/> is a grid value (what the rewriters will store).</summary>
    internal static void CheckOnGrid(LinearLayer layer, ElementGrid grid, float[] w)
    {
        for (int i = 0; i < w.Length; i++)
            if (grid.Nearest(i, w[i]) != w[i])
                throw new InvalidOperationException($"{layer.Key}: the algorithm returned {w[i]} for element {i}, which is not a grid value");
    }

    private static float[]? BiasShift(float[]? before, float[]? after) =>
        after is null ? null : after.Select((v, i) => v - (before is null ? 0 : before[i])).ToArray();

    /// <summary>‖X_q·W̃ᵀ + Δb − X_f·Wᵀ‖² / ‖X_f·Wᵀ‖² over the captured rows, summed over groups (Δb: the bias change, if any).</summary>
    internal static double OutputError(LinearLayer layer, float[] w, float[] wq, float[]? biasShift, LayerData data)
    {
        int rows = data.RowCount, cols = layer.Cols, rpg = layer.RowsPerGroup;
        if (rows == 0) return double.NaN;
        double num = 0, den = 0;
        var yf = new float[rows * rpg];
        var yq = new float[rows * rpg];
        for (int gi = 0; gi < layer.Groups; gi++)
        {
            var wg = w.AsSpan(gi * rpg * cols, rpg * cols);
            var qg = wq.AsSpan(gi * rpg * cols, rpg * cols);
            GemmF32.Gemm(false, true, rows, rpg, cols, 1f, data.FloatRows[gi], cols, wg, cols, 0f, yf, rpg);
            GemmF32.Gemm(false, true, rows, rpg, cols, 1f, data.QuantRows[gi], cols, qg, cols, 0f, yq, rpg);
            for (int i = 0; i < yf.Length; i++)
            {
                double d = yq[i] - yf[i] + (biasShift is null ? 0 : biasShift[gi * rpg + i % rpg]);
                num += d * d;
                den += (double)yf[i] * yf[i];
            }
        }
        return den > 0 ? num / den : num;
    }
}
