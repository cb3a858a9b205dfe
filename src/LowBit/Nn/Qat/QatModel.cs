using LowBit.Quantization;
using LowBit.Quantization.Calibration;
using LowBit.Quantization.Qdq;
using LowBit.Tensors;

namespace LowBit.Nn.Qat;

/// <summary>How quantization-aware training treats the quantizer's parameters (<see cref="FakeQuantizeOp"/> has the
/// gradients).</summary>
public enum QatMethod
{
    /// <summary>Scales fixed at their post-training values; weights learn through the straight-through estimator.</summary>
    Ste,
    /// <summary>Learned step size (Esser et al. 2020, arXiv:1902.08153): every weight and activation scale is trained.</summary>
    Lsq,
    /// <summary>PACT (Choi et al. 2018, arXiv:1805.06085): activation clipping levels are trained from the clipped
    /// elements only; weight scales stay fixed.</summary>
    Pact,
    /// <summary>BitNet b1.58 (Ma et al. 2024, arXiv:2402.17764): weight scales recomputed from the weights every step as
    /// mean |W| (or the median with weight range absmedian, BitNet b1.58 Reloaded), straight-through; activation scales
    /// learned as LSQ (the exported model has static activation scales, not the paper's per-token absmax).</summary>
    BitNet,
}

/// <summary>
/// Quantization-aware training, end to end (DESIGN.md §1): <see cref="Prepare"/> runs post-training quantization (the
/// initialization: calibrated ranges, and AdaRound/GPTQ codes when the config asks for them) and builds the training graph
/// from the prepared float graph it quantized (<see cref="QatGraph"/>); a trainer then updates the float weights, biases
/// and (LSQ, PACT) scales of <see cref="TrainingGraph"/> in place; <see cref="Export"/> quantizes the trained weights with
/// the trained scales through the same pipeline, so the file is the same standard QDQ ONNX as post-training quantization
/// writes, and its values are exactly those the training graph computed with.
/// </summary>
public sealed class QatModel
{
    private readonly QatGraph qat;
    private readonly Graph.Graph prepared;
    private readonly QuantizerConfig exportConfig;
    private readonly string? sourcePath;
    private readonly Dictionary<string, float> minScale = new(StringComparer.Ordinal);

    /// <summary>The post-training quantized model training starts from (its accuracy is the baseline).</summary>
    public QuantizedModel Initial { get; }
    public QatMethod Method { get; }
    /// <summary>The float graph with fake-quant nodes that training runs; its initializers are the trained state.</summary>
    public Graph.Graph TrainingGraph => qat.Graph;
    /// <summary>Scale initializers of <see cref="TrainingGraph"/> (trained by LSQ and, for activations, PACT).</summary>
    public IReadOnlyList<string> ScaleNames { get; }
    /// <summary>The quantized weight initializers of <see cref="TrainingGraph"/> (not Add/Mul constants), in plan order.</summary>
    internal IReadOnlyList<string> WeightNames => [.. qat.Weights.Keys];
    /// <summary>Everything the optimizer updates: the float weights and biases, plus the learned scales.</summary>
    public IReadOnlyList<string> Parameters { get; }

    private QatModel(QatGraph qat, Graph.Graph prepared, QuantizedModel initial, QatMethod method, QuantizerConfig exportConfig, string? sourcePath)
    {
        this.qat = qat;
        this.prepared = prepared;
        Initial = initial;
        Method = method;
        this.exportConfig = exportConfig;
        this.sourcePath = sourcePath;
        var learned = method switch
        {
            QatMethod.Lsq or QatMethod.BitNet => qat.ScaleNames,
            QatMethod.Pact => qat.Activations.Values.Select(s => s.Scale),
            _ => [],
        };
        ScaleNames = learned.Distinct().ToList();
        var quantizerState = new HashSet<string>(qat.Weights.Values.Concat(qat.Constants.Values).Concat(qat.Activations.Values).SelectMany(s => new[] { s.Scale, s.ZeroPoint }), StringComparer.Ordinal);
        Parameters = [.. Nn.Parameters.Trainable(qat.Graph).Where(n => !quantizerState.Contains(n)), .. ScaleNames];
        // A learned scale may shrink but never reach 0 (QuantParams needs s > 0): floor at 1/1000 of its start.
        foreach (var name in ScaleNames)
            minScale[name] = qat.Graph.Initializers[name].ToFloatArray().Where(v => v > 0).DefaultIfEmpty(1f).Min() * 1e-3f;
    }

    /// <summary>Quantizes <paramref name="model"/> after training (post-training quantization with <paramref name="config"/>
    /// on <paramref name="calibration"/>) and builds the training graph. Dynamic mode has no fixed activation scales to
    /// train and is refused, as are fitted codebooks (per-layer levels).</summary>
    public static QatModel Prepare(Graph.Graph model, QuantizerConfig config, QatMethod method,
        IEnumerable<IReadOnlyDictionary<string, Tensor>>? calibration, IProgress<CalibrationProgress>? progress = null,
        CalibrationOptions? calibrationOptions = null, string? sourcePath = null)
    {
        if (config.Mode == QuantMode.Dynamic)
            throw new LowBitException(ErrorKind.Usage, "quantization-aware training needs static or weight-only mode (dynamic mode computes activation scales at run time)");
        if (method == QatMethod.BitNet && config.Weights.Range is not (WeightRange.AbsMean or WeightRange.AbsMedian))
            config = WithWeights(config, config.Weights.WithRange(WeightRange.AbsMean), config.ReduceRange, keepTransforms: true);
        QatGraph? qat = null;
        Graph.Graph? prepared = null;
        var initial = QuantizePipeline.Run(model, config, Quantizer.WithBatchDim(model, calibration), progress, calibrationOptions ?? CalibrationOptions.Default,
            stored: null, sourcePath, planned: (g, plan, p) =>
            {
                prepared = Quantization.Prepare.GraphCopy.Of(g);
                qat = QatGraph.Build(g, plan, p, method, config.QuantizeGraphOutputs);
            });
        if (qat is null || prepared is null) throw new InvalidOperationException("the quantization pipeline did not reach its planning step");
        if (qat.Weights.Count == 0 && qat.Activations.Count == 0)
            throw new LowBitException(ErrorKind.InvalidInput, "nothing in the model is quantized with this configuration, so there is nothing to train");
        // Export: the same quantization, with the reduce-range decision taken and no pre-quantization transform or algorithm
        // (they are already in the prepared weights the training started from).
        return new QatModel(qat, prepared, initial, method, WithWeights(config, config.Weights, initial.Manifest.Cpu.ReduceRange, keepTransforms: false), sourcePath);
    }

    private static QuantizerConfig WithWeights(QuantizerConfig c, WeightQuantConfig weights, bool? reduceRange, bool keepTransforms) =>
        new(c.Mode, weights, c.Activations, reduceRange, c.ExcludeNodes, c.ExcludeOpTypes, c.Recipe, c.ExportOpset, c.WeightOnlyKernel,
            c.MatMulNBitsAccuracyLevel, c.QuantizeGraphOutputs, c.QuantizeOpTypes, c.TargetCpu,
            keepTransforms && c.CrossLayerEqualization, keepTransforms ? c.Algorithm : null, keepTransforms ? c.SmoothQuantAlpha : null,
            keepTransforms && c.RepQuant, keepTransforms ? c.Rotation : Quantization.Algorithms.RotationKind.None) { PackWeights = c.PackWeights };

    /// <summary>Keeps every learned scale positive (call after each optimizer step).</summary>
    public void ClampScales()
    {
        foreach (var (name, floor) in minScale)
        {
            var s = qat.Graph.Initializers[name].AsSpan<float>();
            for (int i = 0; i < s.Length; i++)
                if (!(s[i] >= floor)) s[i] = float.IsNaN(s[i]) ? s[i] : floor;
        }
    }

    /// <summary>The trained quantized model: the prepared float graph with the trained weights and biases, quantized with the
    /// trained scales (and the initial zero points) by the post-training pipeline. Its manifest names the float model and
    /// the post-training calibration it started from, the configuration asked for, and <paramref name="training"/>, how it was
    /// trained (a
    /// manifest cannot replay training: <see cref="QuantizedModel.Load(string, Graph.Graph)"/> refuses it).</summary>
    public QuantizedModel Export(TrainingInfo training)
    {
        var trained = Quantization.Prepare.GraphCopy.Of(prepared);
        foreach (var name in prepared.Initializers.Keys.ToList())
            if (qat.Graph.Initializers.TryGetValue(name, out var t) && t.DType == DType.Float32) trained.Initializers[name] = t.Clone();
        var stored = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
        // Weights whose scale follows them (BitNet) are left out: the pipeline chooses it from the trained weights with the same rule.
        foreach (var (name, site) in qat.Weights.Concat(qat.Constants).Where(w => w.Value.ScaleFrom.Length == 0)) stored[name] = QatGraph.Trained(site, qat.Graph);
        foreach (var (root, site) in qat.Activations) stored[root] = QatGraph.Trained(site, qat.Graph);
        var q = QuantizePipeline.Run(trained, exportConfig, null, null, CalibrationOptions.Default, new QdqParams.Stored(stored), sourcePath);
        var start = Initial.Manifest;
        var manifest = q.Manifest with
        {
            Source = start.Source, Config = start.Config, Calibration = start.Calibration, Transforms = start.Transforms,
            Training = training,
        };
        return new QuantizedModel(q.Graph, manifest);
    }
}
