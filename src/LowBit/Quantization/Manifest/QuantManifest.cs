namespace LowBit.Quantization;

/// <summary>
/// The audit record written beside a quantized model as <c>&lt;model&gt;.lowbit.json</c>: where the model came from,
/// every setting (enough to rebuild the same graph with <see cref="QuantizedModel.Load(string, Graph.Graph)"/>), the CPU
/// decisions, calibration facts, and per tensor its format, scales, zero points, axis and block.
/// </summary>
public sealed record QuantManifest(
    string Format,
    string Producer,
    SourceInfo Source,
    ExportInfo Export,
    ConfigInfo Config,
    CpuInfo Cpu,
    Prepare.PreparationReport Preparation,
    CalibrationInfo? Calibration,
    IReadOnlyList<TensorEntry> Tensors,
    IReadOnlyList<NodeEntry> Nodes,
    IReadOnlyList<string> Warnings)
{
    public const string CurrentFormat = "lowbit-quant/1";

    /// <summary>What SmoothQuant, RepQuant and rotation changed, per activation (null when none ran).</summary>
    public IReadOnlyList<Algorithms.TransformEntry>? Transforms { get; init; }

    /// <summary>Quantization-aware training that chose the weights and scales (null for post-training quantization).</summary>
    public TrainingInfo? Training { get; init; }
}

/// <summary>How a quantization-aware-trained model was trained (<c>lowbit qat</c>): method, data, schedule, teacher, and
/// the validation top-1 of the fake-quantized graph at the end (null without validation data).</summary>
public sealed record TrainingInfo(string Method, string TrainData, int Epochs, long Steps, int BatchSize, double LearningRate,
    string? Teacher, double? DistillationWeight, double? Temperature, double? ValidationTop1);

/// <summary>The float model: content hash (<c>ModelHash</c>), file when known, opset, IR, parameter count and bytes.</summary>
public sealed record SourceInfo(string ModelHash, string? Path, long Opset, long IrVersion, long Parameters, long InitializerBytes);

/// <summary>The exported model: default-domain opset and why, IR, all opsets, initializer bytes, opset-upgrade notes.</summary>
public sealed record ExportInfo(long Opset, string OpsetReason, long IrVersion, IReadOnlyDictionary<string, long> Opsets, long InitializerBytes,
    IReadOnlyList<string> UpgradeNotes, IReadOnlyList<string> MatMulNBitsNodes);

public sealed record WeightsInfo(string Format, string Granularity, string Scheme, string Range)
{
    /// <summary>How the weight scales are represented: float32, e8m0 (powers of two) or int8 (double quantization); the
    /// file stores them as float32 in every case (<see cref="Quantization.ScaleFormat"/>).</summary>
    public string ScaleFormat { get; init; } = "float32";
}

public sealed record ActivationsInfo(string Format, string Scheme, string Observer);

/// <summary>The resolved configuration (reduce-range as decided, recipe as JSON text).</summary>
public sealed record ConfigInfo(string Mode, WeightsInfo Weights, ActivationsInfo? Activations, bool ReduceRange,
    IReadOnlyList<string> ExcludeNodes, IReadOnlyList<string> ExcludeOpTypes, string? Recipe, int? ExportOpset,
    string WeightOnlyKernel, int MatMulNBitsAccuracyLevel, bool QuantizeGraphOutputs, IReadOnlyList<string> QuantizeOpTypes,
    bool CrossLayerEqualization = false)
{
    /// <summary>SmoothQuant α, null when off.</summary>
    public double? SmoothQuantAlpha { get; init; }
    public bool RepQuant { get; init; }
    /// <summary>none, hadamard or random.</summary>
    public string Rotation { get; init; } = "none";
    /// <summary>The weight algorithm and its settings; null for round to nearest.</summary>
    public AlgorithmInfo? Algorithm { get; init; }
    /// <summary><see cref="QuantizerConfig.PackWeights"/>.</summary>
    public bool PackWeights { get; init; } = true;
}

/// <summary>Settings of the weight algorithm (<see cref="AlgorithmConfig"/>); null settings took the algorithm's default.</summary>
public sealed record AlgorithmInfo(string Name, int? Iterations, int? Samples, bool QuantizedInputs, bool ActOrder, double Dampening,
    string BiasCorrection, int Seed, double? BlockEntropy = null, double? LearningRate = null, int? BatchRows = null, double? Regularization = null)
{
    /// <summary>GPTQ's token weighting ("none", "attention").</summary>
    public string TokenImportance { get; init; } = "none";

    internal static AlgorithmInfo? From(AlgorithmConfig a) => a.IsNearest ? null
        : new(ConfigNames.Name(a.Algorithm), a.Iterations, a.Samples, a.QuantizedInputs, a.ActOrder, a.Dampening, ConfigNames.Name(a.BiasCorrection), a.Seed, a.BlockEntropy,
            a.LearningRate, a.BatchRows, a.Regularization) { TokenImportance = a.TokenWeighting.ToString().ToLowerInvariant() };
}

/// <summary>The CPU the defaults were chosen for and the decision.</summary>
public sealed record CpuInfo(string Cpu, [property: System.Text.Json.Serialization.JsonPropertyName("u8s8Saturates")] bool U8S8Saturates, bool ReduceRange, string Reason);

/// <summary>Samples run (or loaded from the cache), observer, data key, cache use ("off", "hit", "miss"), warnings.</summary>
public sealed record CalibrationInfo(int Samples, string Observer, string? DataKey, string Cache, IReadOnlyList<string> Warnings)
{
    /// <summary>Each float input's observed range over the calibration samples (absent when the ranges came from a cache).</summary>
    public IReadOnlyList<Data.InputRange>? Inputs { get; init; }

    /// <summary>The calibration data spec as given (with its image preset), when the caller passed it.</summary>
    public string? DataSpec { get; init; }
}

/// <summary>
/// One quantized tensor. Kind: activation, weight, bias, constant. Scales and zero points are row-major in
/// <see cref="ScaleShape"/> (ONNX y_scale layout) and written in full up to <see cref="ManifestBuilder.InlineLimit"/>
/// values; beyond that only <see cref="ParamsSha256"/> (of the float32 scales then int32 zero points, little-endian) is
/// kept and a reload recomputes them from the weights and checks the hash. <see cref="Shape"/>: of a stored tensor (null
/// for activations, whose shape depends on the input). <see cref="Range"/>: the calibrated [min, max]
/// of an activation's scale group (<see cref="Group"/> = the group's first tensor). Export: how it appears in the file.
/// </summary>
public sealed record TensorEntry(string Name, string Kind, string Format, string? Scheme, string Granularity, int? Axis, int? BlockSize,
    int[]? Shape, int[] ScaleShape, float[]? Scales, int[]? ZeroPoints, string ParamsSha256, float[]? Range, string? Group,
    IReadOnlyList<string> Nodes, string Export)
{
    /// <summary>Weights: what the weight algorithm did (null for round to nearest).</summary>
    public Algorithms.AlgorithmOutcome? Algorithm { get; init; }

    /// <summary>Weights stored bit-packed at this many bits per code (null: codes stored as the format's ONNX type). The
    /// file then holds a uint8 initializer <c>&lt;codes&gt;_packed</c> of shape [⌈n/8⌉, b]: the n codes in row-major order
    /// as one little-endian bit stream (code i in stream bits [i·b, (i+1)·b), signed codes stored as q + 2^(b−1)), and
    /// standard ops that unpack it to the int8/uint8 codes the DequantizeLinear reads (docs/formats.md, "Packed storage").
    /// With <see cref="Export"/> = "lookup" (fp4, nf4, binary, PoT, APoT) the unsigned codes index a float32 table of the
    /// format's grid instead, times the scale (docs/formats.md, "Lookup-table export").</summary>
    public int? PackedBits { get; init; }

    /// <summary>Weights in a learned codebook format (<c>kmeans2</c> … <c>kmeans8</c>, <c>nupes3</c> … <c>nupes5</c>): the
    /// levels, ascending, code c ↦ level c (docs/formats.md, "Codebooks"). <see cref="ParamsSha256"/> then also covers them.</summary>
    public float[]? Codebook { get; init; }
}

/// <summary>A node of the prepared float graph: quantized, or float with the reason.</summary>
public sealed record NodeEntry(string Name, string OpType, bool Quantized, string? Reason);
