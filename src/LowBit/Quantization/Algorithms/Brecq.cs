using LowBit.Graph;
using LowBit.Quantization.Algorithms.Blocks;
using LowBit.Quantization.Algorithms.Layers;
using LowBit.Quantization.Calibration;
using LowBit.Quantization.Qdq;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// BRECQ (Li et al. 2021, "BRECQ: Pushing the Limit of Post-Training Quantization by Block Reconstruction",
/// arXiv:2102.05426): AdaRound's learned rounding (Nagel et al. 2020) optimized per block rather than per layer, so the
/// rounding of every layer in a block accounts for the others' (the block-diagonal part of the loss Hessian, §3.1–3.2).
/// For each block of <see cref="BlockPartition"/> in graph order:
/// <code>
/// min_V  E_x[ Σ_pos Σ_c (z(x̂; W̃(V)) − z_f(x))² ] / positions  +  λ·Σ_layers Σ_i 1 − |2h(V_i) − 1|^β
/// </code>
/// x̂ = the block input in the quantized model (its predecessors already reconstructed and hard-rounded), z_f = the block
/// output in the float model, W̃(V) = down + h(V)·(up − down) for every reconstructed weight (<see cref="SoftRounding"/>),
/// the block's inner activations fake-quantized with QDrop (p = ½, <see cref="BlockGraph"/>), λ = 0.01, β annealed 20 → 2
/// after 20 % warm-up. The squared error is summed over channels and averaged over positions, as in the authors' code.
/// <para>
/// Loss weighting. BRECQ's objective weights (Δz)² by the diagonal Fisher (∂L/∂z)² of the task loss at the float output
/// (§3.3). LowBit's calibration samples are model inputs without labels, and the KL-to-float-output proxy has zero
/// gradient at the float point (the KL is minimal there), so its Fisher would vanish; the diagonal is taken as the
/// identity: plain output MSE (what the paper's code does for models without a task loss).
/// </para>
/// <para>
/// Cost: <see cref="BatchSamples"/> samples per iteration, <c>Iterations ?? DefaultIterations</c> iterations per block, each a
/// forward and backward of the block alone (convolutional blocks on random crops of <see cref="CropRows"/> output
/// rows/cols, <see cref="BlockCrop"/>); memory = the kept samples' block inputs and float outputs of one block.
/// </para>
/// </summary>
internal static class Brecq
{
    public const int DefaultIterations = 1000;
    public const int BatchSamples = 4;
    public const int CropRows = 12;
    public const float LearningRate = 1e-2f;
    public const float RegularizerWeight = 0.01f;
    /// <summary>Samples the per-layer outcome (layer-wise output error, as <see cref="WeightAlgorithms.OutputError"/>) is
    /// measured on: each layer's capture runs the model prefix, which on big models costs more than the block's training.</summary>
    public const int OutcomeSamples = 8;

    /// <summary>Normalized entropy of a block's float output over the first <see cref="OutcomeSamples"/> samples.</summary>
    private static double OutputEntropy(QuantSimulation sim, Block block, CancellationToken ct)
    {
        var values = new List<float>();
        sim.Run([block.Output], false, (_, f, _) => values.AddRange(f[block.Output].ToFloatArray()), ct);
        return BlockPartition.NormalizedEntropy(values.ToArray());
    }

    /// <param name="layerList">The marked weights that have a matrix view (the driver warned about the others).</param>
    public static Dictionary<string, AlgorithmOutcome> Run(Graph.Graph g, QdqPlan plan, IReadOnlyList<LinearLayer> layerList, QdqParams p,
        AlgorithmConfig config, IReadOnlyList<IReadOnlyDictionary<string, Tensor>> samples, CalibrationOptions copts,
        IProgress<AlgorithmProgress>? progress, CancellationToken ct)
    {
        var outcomes = new Dictionary<string, AlgorithmOutcome>(StringComparer.Ordinal);
        var layers = layerList.ToDictionary<LinearLayer, Node>(l => l.Node, ReferenceEqualityComparer.Instance);
        int threads = copts.Threads ?? Environment.ProcessorCount;
        var sim = new QuantSimulation(g, layerList, p.Activations, samples, copts.Streams, threads);
        var measure = samples.Count <= OutcomeSamples ? sim
            : new QuantSimulation(g, layerList, p.Activations, samples.Take(OutcomeSamples).ToList(), copts.Streams, threads);
        var blocks = BlockPartition.Find(g, plan.Weights.Values.Select(m => m.Node).ToList()).Where(b => b.Layers.Any(layers.ContainsKey)).ToList();
        if (config.BlockEntropy is double threshold)
            blocks = BlockPartition.Merge(g, blocks, b => OutputEntropy(measure, b, ct), threshold, config.MaxBlockLayers);
        var rng = new Random(config.Seed);
        for (int bi = 0; bi < blocks.Count; bi++)
        {
            ct.ThrowIfCancellationRequested();
            var block = blocks[bi];
            void Report(string line) => progress?.Report(new AlgorithmProgress(bi, blocks.Count, $"block {block}: {line}"));
            Report("capturing input and float output");
            var soft = block.Layers.Where(layers.ContainsKey).Select(n => Soften(layers[n], sim.Float)).ToList();
            var data = BlockData.Capture(sim, block, ct);
            var result = BlockReconstruction.Run(sim.Quantized, block, soft, p.Activations, data, config, threads, rng, Report, ct);
            foreach (var (l, hard) in soft.Zip(result.Weights)) { l.Layer.WriteMatrix(sim.Quantized, hard); l.Layer.WriteMatrix(measure.Quantized, hard); }
            string summary = $"block of {soft.Count} layer{(soft.Count == 1 ? "" : "s")} ({block.Input} → {block.Output}), {result.Iterations} iterations, "
                + $"block output error {result.ErrorNearest:G3} → {result.ErrorBrecq:G3}";
            foreach (var (l, hard) in soft.Zip(result.Weights))
            {
                WeightAlgorithms.CheckOnGrid(l.Layer, l.Grid, hard);
                var layerData = LayerCapture.Run(measure, l.Layer, new LayerNeeds(true, false), config.QuantizedInputs, rng, ct);
                var w = l.Layer.ReadMatrix(sim.Float);
                outcomes[l.Layer.Weight] = new AlgorithmOutcome(config.ToString(), summary,
                    WeightAlgorithms.OutputError(l.Layer, w, l.Grid.NearestAll(w), null, layerData), WeightAlgorithms.OutputError(l.Layer, w, hard, null, layerData));
            }
            progress?.Report(new AlgorithmProgress(bi + 1, blocks.Count, summary));
        }
        foreach (var layer in layerList) g.Initializers[layer.Weight] = sim.Quantized.Initializers[layer.Weight];
        return outcomes;
    }

    /// <summary>The layer's grid neighbours and AdaRound's initial V (h(V) = fractional part: W̃(V₀) = W), in tensor order.</summary>
    internal static SoftLayer Soften(LinearLayer layer, Graph.Graph floatGraph)
    {
        var grid = layer.Grid();
        var w = layer.ReadMatrix(floatGraph);
        var bounds = SoftRounding.Bounds(grid, w);
        var v = SoftRounding.InitialV(w, bounds.Down, bounds.Delta);
        var tensorOf = new int[w.Length];
        for (int o = 0; o < layer.Rows; o++)
            for (int k = 0; k < layer.Cols; k++) tensorOf[o * layer.Cols + k] = layer.TensorIndex(o, k);
        float[] T(float[] m) { var t = new float[m.Length]; for (int i = 0; i < m.Length; i++) t[tensorOf[i]] = m[i]; return t; }
        return new SoftLayer { Layer = layer, Grid = grid, Down = T(bounds.Down), Up = T(bounds.Up), Delta = T(bounds.Delta), V = T(v), TensorOf = tensorOf, FloatMatrix = w };
    }
}

/// <summary>A block's training data over the kept samples: its inputs in the quantized model (block input and side
/// inputs) and its output in the float model, one entry per sample.</summary>
internal sealed class BlockData
{
    public List<Dictionary<string, Tensor>> Inputs { get; } = new();
    public List<Tensor> Targets { get; } = new();

    public static BlockData Capture(QuantSimulation sim, Block block, CancellationToken ct)
    {
        var d = new BlockData();
        var names = new List<string> { block.Input };
        names.AddRange(block.SideInputs);
        sim.Run(names.Append(block.Output).Distinct().ToList(), true, (_, f, q) =>
        {
            d.Inputs.Add(names.ToDictionary(n => n, n => Float32(q![n]), StringComparer.Ordinal));
            d.Targets.Add(Float32(f[block.Output]));
        }, ct);
        return d;
    }

    private static Tensor Float32(Tensor t) => t.DType == DType.Float32 ? t.Clone() : t.DType.IsFloat() ? Elementwise.Cast(t, DType.Float32) : t.Clone();
}
