using LowBit.Formats;
using LowBit.Kernels;

namespace LowBit.Quantization;

/// <summary>What is quantized (DESIGN.md §3, issue part 5).</summary>
public enum QuantMode
{
    /// <summary>Weights and activations; activation ranges from calibration data (QDQ model).</summary>
    Static,
    /// <summary>Weights only (integers + DequantizeLinear or MatMulNBits); activations stay float, no calibration.</summary>
    WeightOnly,
    /// <summary>Weights offline, activations per batch at run time (DynamicQuantizeLinear + MatMulInteger/ConvInteger, as
    /// ONNX Runtime's quantize_dynamic); no calibration.</summary>
    Dynamic,
}

/// <summary>How weight-only MatMul/Gemm weights are exported (see docs/quantization.md for the measurements).</summary>
public enum WeightOnlyKernel
{
    /// <summary>MatMulNBits for every MatMul/Gemm whose weights it can hold (4/8-bit codes in power-of-two groups along K,
    /// per output column or per tensor), DequantizeLinear elsewhere: as fast as ONNX Runtime's own DQ→MatMul fusion where that happens, and robust where it
    /// does not (measured, docs/quantization.md).</summary>
    Auto,
    /// <summary>Always DequantizeLinear (standard ONNX only).</summary>
    DequantizeLinear,
    /// <summary>com.microsoft MatMulNBits wherever the node and format allow it.</summary>
    MatMulNBits,
}

/// <summary>
/// Everything <see cref="Quantizer"/> needs, validated on construction (errors are usage errors naming the option and
/// what it accepts). Defaults per mode: static = int8 symmetric per-channel weights + uint8 asymmetric min-max
/// activations; weight-only = int4 symmetric group:32; dynamic = int8 symmetric per-channel. Weights whose range was left
/// unset get <see cref="WeightRangeDefault"/>'s choice here (mse for ≤ 4-bit and 7-bit weights), as in the CLI. <see cref="ReduceRange"/>
/// null lets the target CPU decide (7-bit weights where u8·s8 kernels saturate, see <see cref="CpuDefaults"/>).
/// </summary>
public sealed record QuantizerConfig
{
    /// <summary>Ops that stay float unless listed in <see cref="QuantizeOpTypes"/>.</summary>
    public static IReadOnlyList<string> OptionalOpTypes { get; } = ["Softmax", "LayerNormalization", "Gelu"];

    public QuantMode Mode { get; }
    public WeightQuantConfig Weights { get; }
    /// <summary>Null in weight-only mode; uint8 asymmetric in dynamic mode (DynamicQuantizeLinear's only output).</summary>
    public ActivationQuantConfig? Activations { get; }
    public bool? ReduceRange { get; }
    public IReadOnlyList<string> ExcludeNodes { get; }
    public IReadOnlyList<string> ExcludeOpTypes { get; }
    public QuantRecipe? Recipe { get; }
    /// <summary>Opset of the exported model; null = keep the model's when it suffices, else the lowest that works.</summary>
    public int? ExportOpset { get; }
    public WeightOnlyKernel WeightOnlyKernel { get; }
    /// <summary>MatMulNBits accuracy_level: 0 = fp32 compute (matches LowBit's simulation), 4 = int8 activations per
    /// block (what ONNX Runtime itself picks when it fuses DQ→MatMul; about 3× faster at batch 1).</summary>
    public int MatMulNBitsAccuracyLevel { get; }
    public bool QuantizeGraphOutputs { get; }
    public IReadOnlyList<string> QuantizeOpTypes { get; }
    /// <summary>CPU whose kernels the defaults are chosen for; null = this machine.</summary>
    public CpuFeatures? TargetCpu { get; }
    /// <summary>Cross-layer equalization of Conv/Gemm pairs before quantization (Algorithms/CrossLayerEqualization.cs).</summary>
    public bool CrossLayerEqualization { get; }
    /// <summary>How weight codes are picked once scales are fixed (round to nearest by default; Quantization/Algorithms/).</summary>
    public AlgorithmConfig Algorithm { get; }
    /// <summary>SmoothQuant migration strength α ∈ [0, 1] (null = off; static mode; Algorithms/SmoothQuant.cs).</summary>
    public double? SmoothQuantAlpha { get; }
    /// <summary>RepQuant reparameterization of post-LayerNorm activations (static mode; Algorithms/RepQuant.cs).</summary>
    public bool RepQuant { get; }
    /// <summary>Orthogonal rotation of linear-layer inputs before quantization (Algorithms/Rotation.cs).</summary>
    public Algorithms.RotationKind Rotation { get; }
    /// <summary>Store weights narrower than their ONNX type (int2/int3/ternary in int4, int5–7 in int8) bit-packed at their
    /// width with an unpack subgraph feeding the DequantizeLinear (Qdq/PackedWeights.cs), so the file follows the bits;
    /// false keeps every weight a DequantizeLinear of an initializer in the wider type (for tools that read the codes).</summary>
    public bool PackWeights { get; init; } = true;

    public QuantizerConfig(QuantMode mode = QuantMode.Static, WeightQuantConfig? weights = null, ActivationQuantConfig? activations = null,
        bool? reduceRange = null, IEnumerable<string>? excludeNodes = null, IEnumerable<string>? excludeOpTypes = null,
        QuantRecipe? recipe = null, int? exportOpset = null, WeightOnlyKernel weightOnlyKernel = WeightOnlyKernel.Auto,
        int matMulNBitsAccuracyLevel = 4, bool quantizeGraphOutputs = false, IEnumerable<string>? quantizeOpTypes = null,
        CpuFeatures? targetCpu = null, bool crossLayerEqualization = false, AlgorithmConfig? algorithm = null,
        double? smoothQuantAlpha = null, bool repQuant = false, Algorithms.RotationKind rotation = Algorithms.RotationKind.None)
    {
        Mode = mode;
        Weights = weights ?? (mode == QuantMode.WeightOnly ? WeightQuantConfig.Int4Group(32) : WeightQuantConfig.Int8PerChannel);
        Activations = mode switch
        {
            QuantMode.WeightOnly when activations is not null => throw Usage(
                $"weight-only mode quantizes no activations; drop the activation format ({activations.Format.Name}) or use static mode"),
            QuantMode.WeightOnly => null,
            _ => activations ?? ActivationQuantConfig.UInt8,
        };
        ReduceRange = reduceRange;
        ExcludeNodes = (excludeNodes ?? []).ToArray();
        ExcludeOpTypes = (excludeOpTypes ?? []).ToArray();
        Recipe = recipe;
        ExportOpset = exportOpset;
        WeightOnlyKernel = weightOnlyKernel;
        MatMulNBitsAccuracyLevel = matMulNBitsAccuracyLevel;
        QuantizeGraphOutputs = quantizeGraphOutputs;
        // "all" stands for every optional op type.
        QuantizeOpTypes = (quantizeOpTypes ?? []).SelectMany(o => o.Equals("all", StringComparison.OrdinalIgnoreCase) ? OptionalOpTypes : [o]).Distinct().ToArray();
        TargetCpu = targetCpu;
        CrossLayerEqualization = crossLayerEqualization;
        Algorithm = algorithm ?? AlgorithmConfig.Default;
        SmoothQuantAlpha = smoothQuantAlpha;
        RepQuant = repQuant;
        Rotation = rotation;
        if (Weights.RangeIsDefault) Weights = Weights.WithRange(WeightRangeDefault.PrefersMse(this) ? WeightRange.Mse : WeightRange.MinMax);
        Validate();
    }

    /// <summary>This config with other weights (null: the same; a default range is resolved again by the rule) and/or another
    /// recipe (null: the same), everything else kept.</summary>
    public QuantizerConfig With(WeightQuantConfig? weights = null, QuantRecipe? recipe = null) =>
        new(Mode, weights ?? Weights, Activations, ReduceRange, ExcludeNodes, ExcludeOpTypes, recipe ?? Recipe, ExportOpset, WeightOnlyKernel,
            MatMulNBitsAccuracyLevel, QuantizeGraphOutputs, QuantizeOpTypes, TargetCpu, CrossLayerEqualization, Algorithm, SmoothQuantAlpha,
            RepQuant, Rotation) { PackWeights = PackWeights };

    private void Validate()
    {
        if (SmoothQuantAlpha is double alpha && !(alpha >= 0 && alpha <= 1))
            throw Usage($"SmoothQuant alpha must be in [0, 1] (the share of activation range moved into the weights; 0.5 is the paper's default), got {alpha}");
        if ((SmoothQuantAlpha is not null || RepQuant) && Mode != QuantMode.Static)
            throw Usage($"{(RepQuant ? "RepQuant" : "SmoothQuant")} flattens activation ranges for activation quantization and needs calibration data: static mode only (mode is {ModeName(Mode)})");
        if (Mode == QuantMode.Dynamic)
        {
            if (Activations!.Format.Name != "uint8" || Activations.Scheme != QuantScheme.Asymmetric)
                throw Usage($"dynamic mode quantizes activations at run time with DynamicQuantizeLinear, which produces uint8 asymmetric only; got {Activations.Format.Name} {Activations.Scheme.ToString().ToLowerInvariant()}");
            CheckDynamicWeights(Weights, "weights");
        }
        if (ReduceRange == true)
        {
            if (Mode == QuantMode.WeightOnly)
                throw Usage("reduce-range avoids saturation in integer kernels; weight-only models run float kernels, so it does not apply");
            if (Weights.Format is not IntFormat { Bits: 8 })
                throw Usage($"reduce-range narrows 8-bit weights to 7 bits; the weights are {Weights.Format.Name}");
        }
        if (Mode == QuantMode.Static) CheckStaticFp8();
        if (ExportOpset is int v && (v < 10 || v > 23))
            throw Usage($"export opset {v} is out of range: QuantizeLinear/DequantizeLinear need 10 or later, LowBit writes up to 23");
        if (CrossLayerEqualization && Algorithm.BiasCorrection == BiasCorrectionKind.Analytic)
            throw Usage("analytic bias correction reads the BatchNormalization statistics, which cross-layer equalization rescales; use --bias-correction empirical with --cle");
        if (MatMulNBitsAccuracyLevel is < 0 or > 4)
            throw Usage($"MatMulNBits accuracy level must be 0..4, got {MatMulNBitsAccuracyLevel}");
        foreach (var op in QuantizeOpTypes)
            if (!OptionalOpTypes.Contains(op))
                throw Usage($"'{op}' is not an optional op type; the ops that stay float unless asked are: {string.Join(", ", OptionalOpTypes)} (or all)");
        if (WeightOnlyKernel == WeightOnlyKernel.MatMulNBits)
            CheckMatMulNBits(Weights);
        if (Recipe is not null)
            foreach (var (node, o) in Recipe.Nodes)
            {
                if (o.Activations is not null && Mode != QuantMode.Static)
                    throw Usage($"recipe node '{node}': activation settings apply in static mode only (mode is {ModeName(Mode)})");
                if (o.Weights is not null && Mode == QuantMode.Dynamic) CheckDynamicWeights(o.Weights, $"recipe node '{node}' weights");
            }
    }

    /// <summary>Measured (tests/LowBit.Tests/Quantization/Fp8QuantizeTests.cs): ONNX Runtime 1.31's CPU provider, at its
    /// default optimization level, fuses DequantizeLinear → Conv/Gemm/MatMul → QuantizeLinear into QLinearConv/QGemm/
    /// QLinearMatMul without checking the element type, and those take no float8 tensors, so a static model with any FP8
    /// weight or activation is refused at load (with optimizations off it loads and matches LowBit exactly). Writing the
    /// activation dequantization as Cast(float8 → float)·s instead does not help: the optimizer then feeds float8 into
    /// MaxPool (refused) or returns wrong outputs (a Gemm chain off by more than its output range). Weight-only FP8
    /// (DequantizeLinear → float op, nothing fused) loads and matches LowBit's simulation.</summary>
    private void CheckStaticFp8()
    {
        var fp8 = new List<string>();
        if (WeightQuantConfig.IsFloat8(Weights.Format)) fp8.Add($"weights {Weights.Format.Name}");
        if (Activations is { } a && WeightQuantConfig.IsFloat8(a.Format)) fp8.Add($"activations {a.Format.Name}");
        foreach (var (node, o) in Recipe?.Nodes ?? new Dictionary<string, NodeOverride>())
        {
            if (o.Weights is { } w && WeightQuantConfig.IsFloat8(w.Format)) fp8.Add($"recipe node '{node}' weights {w.Format.Name}");
            if (o.Activations is { } ra && WeightQuantConfig.IsFloat8(ra.Format)) fp8.Add($"recipe node '{node}' activations {ra.Format.Name}");
        }
        if (fp8.Count > 0)
            throw Usage($"{string.Join(", ", fp8)} in static mode: ONNX Runtime 1.31 (CPU) fuses float8 DequantizeLinear→Conv/Gemm→QuantizeLinear into " +
                "QLinearConv/QGemm, which take no float8 tensors, and refuses the model; FP8 runs there weight-only " +
                "(--mode weight-only or --activations none: float8 weights + DequantizeLinear, computed in float), or use int8/uint8 for static quantization");
    }

    private static void CheckDynamicWeights(WeightQuantConfig w, string what)
    {
        if (w.StorageBits != 8 || w.Format is not IntFormat || w.Granularity is WeightGranularity.Group)
            throw Usage($"{what} {w}: dynamic mode (MatMulInteger/ConvInteger) takes 8-bit integer weights per tensor or per channel: " +
                $"{string.Join(", ", WeightQuantConfig.StorableFormats().Where(n => FormatTable.Get(n) is IntFormat { Bits: > 4 and <= 8 }))}");
    }

    internal static void CheckMatMulNBits(WeightQuantConfig w)
    {
        if (w.StorageBits is not (4 or 8) || w.Format is not IntFormat || (w.Granularity is WeightGranularity.Group g && (g.Size & (g.Size - 1)) != 0))
            throw Usage($"MatMulNBits stores 4- or 8-bit codes per column or in groups of a power of two (16..256) along K; weights {w} do not fit (use e.g. int4 group:32)");
    }

    internal static string ModeName(QuantMode m) => m switch { QuantMode.WeightOnly => "weight-only", _ => m.ToString().ToLowerInvariant() };

    internal static LowBitException Usage(string message) => new(ErrorKind.Usage, message);
}
