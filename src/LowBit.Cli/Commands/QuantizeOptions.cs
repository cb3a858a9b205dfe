using LowBit.Cli.Support;
using System.CommandLine;
using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Observers;

namespace LowBit.Cli.Commands;

/// <summary>
/// The flags of <c>lowbit quantize</c> and their translation into a <see cref="QuantizerConfig"/>. Names are parsed by the
/// library's own parsers (<see cref="FormatTable"/>, <see cref="WeightGranularity.Parse"/>, <see cref="ConfigNames"/>,
/// <see cref="ObserverConfig.Parse"/>), so an unknown name is a usage error listing the known ones, and the config
/// records validate the combination.
/// </summary>
internal sealed class QuantizeOptions
{
    public const int DefaultCalibSamples = 256;
    public const int DefaultEvalSamples = 500;
    public const int DefaultCompareSamples = 16;
    public const double DefaultBenchSeconds = 3;

    /// <summary>The CLI's activation observer: MSE-optimal clipping measured best on ResNet18 with natural-image crops and within
    /// noise of min-max on the Fashion-MNIST zoo (docs/results.md). The library's own default stays min-max (ONNX Runtime's).</summary>
    public static ObserverConfig DefaultObserver { get; } = new ObserverConfig.Mse();

    private static string Storable => string.Join(", ", WeightQuantConfig.StorableFormats());

    public Argument<string> Model { get; } = CommonOptions.Model();
    public Option<string> Out { get; } = new("--out", "-o") { Description = "Where to write the quantized model (+ its manifest MODEL.lowbit.json beside it); never the input", HelpName = "FILE", Required = true };
    public Option<bool> Force { get; } = CommonOptions.Force();
    public Option<string?> Mode { get; } = new("--mode") { Description = $"What to quantize: {string.Join(", ", ConfigNames.Modes)} (default: static, or weight-only with --activations none)", HelpName = "MODE" };
    public Option<string?> Weights { get; } = new("--weights", "-w") { Description = $"Weight format (default int8; int4 in weight-only mode): {Storable}", HelpName = "FORMAT" };
    public Option<string?> Granularity { get; } = new("--granularity", "-g") { Description = $"Weight scale granularity (default per-channel; group:32 in weight-only mode): {string.Join(", ", WeightGranularity.KnownNames)}", HelpName = "G" };
    public Option<string?> Scheme { get; } = new("--scheme") { Description = "Weight scheme: sym (default) or asym", HelpName = "SCHEME" };
    public Option<string?> WeightRange { get; } = new("--weight-range") { Description = $"How weight ranges are chosen: {string.Join(", ", ConfigNames.WeightRanges)} (default minmax; mse for 4-bit and narrower weights and for 7-bit reduce-range ones; mse clips each channel to minimize its squared error; absmean/absmedian set the symmetric scale to mean/median |w|, BitNet b1.58)", HelpName = "METHOD" };
    public Option<string?> ScaleFormat { get; } = new("--scale-format") { Description = $"How weight scales are represented: {string.Join(", ", ConfigNames.ScaleFormats)} (default float32; e8m0 = powers of two, the MX shared scale: fp4 + group:32 is MXFP4; int8 = double quantization, uint8 codes per 256 scales as in QLoRA; stored as float32 either way, docs/formats.md)", HelpName = "FORMAT" };
    public Option<string?> Activations { get; } = new("--activations", "-a") { Description = $"Activation format (static mode; default uint8) or none for weight-only: {string.Join(", ", WeightQuantConfig.StorableFormats(weights: false))}", HelpName = "FORMAT" };
    public Option<string?> ActivationScheme { get; } = new("--activation-scheme") { Description = "Activation scheme: asym (default for integer formats) or sym (default and only choice for fp8-e4m3/fp8-e5m2)", HelpName = "SCHEME" };
    public Option<string?> Calibration { get; } = new("--calibration", "-c") { Description = $"Activation range observer (default mse): {string.Join(", ", ObserverConfig.KnownNames)}", HelpName = "OBSERVER" };
    public Option<string?> CalibData { get; } = new("--calib-data") { Description = "Calibration data spec (static mode): fashion-mnist:train, images=DIR,preset=...,size=N[,crops=N,seed=S], idx=..., npy=..., random:N; several inputs: npz=DIR or npy=NAME:DIR,NAME=DIR|FILE.npy|const:V (docs/calibration-data.md)", HelpName = "SPEC" };
    public Option<int?> CalibSamples { get; } = CommonOptions.AtLeast("--calib-samples", 1, $"Calibration samples, the first N of --calib-data (default {DefaultCalibSamples})");
    public Option<string[]> Stream { get; } = new("--stream") { Description = "Streaming calibration: feed model output OUT back as input IN of the next call, starting from zeros (repeatable; the samples run in order as one sequence)", HelpName = "OUT=IN", Arity = ArgumentArity.ZeroOrMore };
    public Option<string?> CalibCache { get; } = new("--calib-cache") { Description = "Save the calibrated ranges here; a rerun with the same model, data and settings loads them instead of calibrating", HelpName = "FILE" };
    public Option<bool?> ReduceRange { get; } = new("--reduce-range") { Description = "Store signed 8-bit weights as 7-bit (true/false; default: decided from this CPU, see the printed reason)", HelpName = "true|false", Arity = ArgumentArity.ZeroOrOne };
    public Option<bool?> Pack { get; } = new("--pack") { Description = "Store weights narrower than their ONNX type (int2/int3/ternary in int4, int5..int7 in int8) bit-packed at their width with a small unpack subgraph: true (default; the file follows the bits) or false (the wider type)", HelpName = "true|false", Arity = ArgumentArity.ZeroOrOne };
    public Option<bool> Cle { get; } = new("--cle") { Description = "Cross-layer equalization of Conv/Gemm pairs (through ReLU) before quantizing: evens out per-channel weight ranges, helps per-tensor and low-bit weights (Nagel et al. 2019)" };
    public Option<double?> SmoothQuant { get; } = new("--smoothquant") { Description = "SmoothQuant (static mode): move activation outliers into the weights per input channel of MatMul/Gemm, s = max|X|^α / max|W|^(1−α); ALPHA in [0, 1], default 0.5 (Xiao et al. 2022)", HelpName = "ALPHA", Arity = ArgumentArity.ZeroOrOne };
    public Option<bool> RepQuant { get; } = new("--repquant") { Description = "RepQuant (static mode): fold per-channel scales and offsets of post-LayerNorm activations into LayerNorm and the next layers, so one per-tensor scale fits every channel (Li et al. 2024)" };
    public Option<string?> Rotate { get; } = new("--rotate") { Description = "Rotate MatMul/Gemm inputs by an orthogonal matrix before quantizing (x·W = (xQ)(QᵀW)): hadamard or random; spreads outliers, helps 4-bit weights (QuaRot)", HelpName = "hadamard|random" };
    public Option<string?> Algorithm { get; } = new("--algorithm") { Description = $"How weight codes are chosen once scales are fixed: {string.Join(", ", ConfigNames.Algorithms)} (default nearest; the others use --calib-data and run layer by layer, see docs/quantization.md for their cost)", HelpName = "ALG" };
    public Option<int?> Iterations { get; } = CommonOptions.AtLeast("--iterations", 1, "Optimization steps per layer (adaround, adaquant) or block (brecq); default: the algorithm's");
    public Option<int?> AlgorithmSamples { get; } = CommonOptions.AtLeast("--algorithm-samples", 1, "Calibration samples the algorithm runs over, the first N of --calib-data (default 128)");
    public Option<double?> BlockEntropy { get; } = CommonOptions.Number("--block-entropy", 0, exclusive: false, "BRECQ: merge neighbouring blocks (up to 8 layers) while the normalized entropy of the first one's output is at least T in [0, 1] (Q-VLM's entropy-guided partition)", "T");
    public Option<bool> ActOrder { get; } = new("--act-order") { Description = "GPTQ: quantize columns in order of decreasing Hessian diagonal (activation order)" };
    public Option<string?> TokenImportance { get; } = new("--token-importance") { Description = "GPTQ: weigh each token in the layer Hessian by the attention it receives from the nearest attention Softmax: attention, or none (default) (RSQ, Sung et al. 2025)", HelpName = "attention|none" };
    public Option<string?> BiasCorrection { get; } = new("--bias-correction") { Description = $"Correct each layer's bias for the mean error quantization adds: {string.Join(", ", ConfigNames.BiasCorrections.Skip(1))} (empirical when given without a value; Nagel et al. 2019)", HelpName = "KIND", Arity = ArgumentArity.ZeroOrOne };
    public Option<string[]> QuantizeOps { get; } = new("--quantize-ops") { Description = $"Also quantize these optional op types (comma-separated or repeated): {string.Join(", ", QuantizerConfig.OptionalOpTypes)}, or all", HelpName = "OPS", Arity = ArgumentArity.ZeroOrMore };
    public Option<string[]> Exclude { get; } = new("--exclude", "-x") { Description = "Keep a node (by name) or every node of an op type float (repeatable)", HelpName = "NODE_OR_OPTYPE", Arity = ArgumentArity.ZeroOrMore };
    public Option<string?> Recipe { get; } = new("--recipe") { Description = "Per-node overrides and exclusions from a recipe JSON file (docs/quantization.md)", HelpName = "FILE" };
    public Option<int?> Opset { get; } = CommonOptions.AtLeast("--opset", 10, "Opset of the exported model (default: the model's when it suffices, else the lowest that works)");
    public Option<int> Threads { get; } = CommonOptions.Threads();
    public Option<string?> Report { get; } = new("--report") { Description = "Write a report here: index.html (self-contained), report.json, summary.md, plots/", HelpName = "DIR" };
    public Option<string?> Data { get; } = new("--data") { Description = "Held-out data for the report's fidelity (default: the samples of --calib-data after the calibration ones)", HelpName = "SPEC" };
    public Option<int?> EvalSamples { get; } = CommonOptions.AtLeast("--eval-samples", 1, $"Report: held-out samples for fidelity (default {DefaultEvalSamples})");
    public Option<int?> CompareSamples { get; } = CommonOptions.AtLeast("--compare-samples", 0, $"Report: samples for the per-layer comparison (default {DefaultCompareSamples}; 0 skips it)");
    public Option<double?> BenchSeconds { get; } = CommonOptions.Number("--bench-seconds", 0, exclusive: false, $"Report: time budget of the ONNX Runtime latency comparison (default {DefaultBenchSeconds}; 0 skips it)");
    public Option<string?> MaxDrop { get; } = new("--max-drop") { Description = "Accuracy control: after quantizing, measure the top-1 drop on --eval-data in ONNX Runtime and return the most sensitive layers to --fallback until the drop is at most D points (D% : relative to the float accuracy)", HelpName = "D|D%" };
    public Option<string?> EvalData { get; } = new("--eval-data") { Description = "Labelled data --max-drop measures the drop on (use a validation split)", HelpName = "SPEC" };
    public Option<string?> Fallback { get; } = new("--fallback") { Description = "What --max-drop returns sensitive layers to: float (default) or a weight format such as int8", HelpName = "FORMAT" };

    public IEnumerable<Symbol> All =>
    [
        Model, Out, Force, Mode, Weights, Granularity, Scheme, WeightRange, ScaleFormat, Activations, ActivationScheme, Calibration, CalibData, CalibSamples,
        Stream, CalibCache, ReduceRange, Pack, Cle, SmoothQuant, RepQuant, Rotate, Algorithm, Iterations, AlgorithmSamples, ActOrder, TokenImportance, BlockEntropy, BiasCorrection, QuantizeOps, Exclude, Recipe, Opset, Threads, Report, Data, EvalSamples, CompareSamples, BenchSeconds,
        MaxDrop, EvalData, Fallback,
    ];

    /// <summary>The mode the flags ask for: --mode, else weight-only when --activations none, else static.</summary>
    public static QuantMode ModeOf(string? mode, string? activations)
    {
        bool none = activations is not null && IsNone(activations);
        if (mode is null) return none ? QuantMode.WeightOnly : QuantMode.Static;
        var m = Flag("--mode", mode, ConfigNames.ParseMode);
        if (none && m != QuantMode.WeightOnly)
            throw new LowBitException(ErrorKind.Usage, $"--activations none quantizes no activations; --mode {mode} needs an activation format (or use --mode weight-only)");
        return m;
    }

    public static bool IsNone(string s) => s.Trim().Equals("none", StringComparison.OrdinalIgnoreCase) || s.Trim().Equals("float", StringComparison.OrdinalIgnoreCase);

    /// <summary>Builds the config; <paramref name="opTypes"/> (the model's op types) decides whether an --exclude value is
    /// an op type or a node name (the quantizer then checks node names and lists the model's).</summary>
    public QuantizerConfig ToConfig(ParseResult pr, IReadOnlySet<string> opTypes)
    {
        string? acts = pr.GetValue(Activations);
        var mode = ModeOf(pr.GetValue(Mode), acts);
        WeightQuantConfig? weights = null;
        string? wf = pr.GetValue(Weights), wg = pr.GetValue(Granularity), ws = pr.GetValue(Scheme), wr = pr.GetValue(WeightRange), wsf = pr.GetValue(ScaleFormat);
        if (wf is not null || wg is not null || ws is not null || wr is not null || wsf is not null)
        {
            var defaults = mode == QuantMode.WeightOnly ? WeightQuantConfig.Int4Group() : WeightQuantConfig.Int8PerChannel;
            weights = new WeightQuantConfig(
                wf is null ? defaults.Format : Flag("--weights", wf, FormatTable.Get),
                wg is null ? defaults.Granularity : Flag("--granularity", wg, WeightGranularity.Parse),
                ws is null ? defaults.Scheme : Flag("--scheme", ws, ConfigNames.ParseScheme),
                wr is null ? defaults.Range : Flag("--weight-range", wr, ConfigNames.ParseWeightRange),
                wsf is null ? defaults.ScaleFormat : Flag("--scale-format", wsf, ConfigNames.ParseScaleFormat));
        }
        ActivationQuantConfig? activations = null;
        string? schemeA = pr.GetValue(ActivationScheme), observer = pr.GetValue(Calibration);
        if (mode == QuantMode.WeightOnly)
        {
            foreach (var (flag, v) in new[] { ("--activation-scheme", schemeA), ("--calibration", observer) })
                if (v is not null) throw new LowBitException(ErrorKind.Usage, $"{flag} {v}: weight-only mode quantizes no activations");
        }
        else if (mode == QuantMode.Dynamic)
        {
            if (observer is not null)
                throw new LowBitException(ErrorKind.Usage, $"--calibration {observer}: dynamic mode computes activation ranges at run time (DynamicQuantizeLinear); nothing is calibrated");
            if (acts is not null || schemeA is not null)
                activations = new ActivationQuantConfig(acts is null ? null : Flag("--activations", acts, FormatTable.Get),
                    schemeA is null ? (QuantScheme?)null : Flag("--activation-scheme", schemeA, ConfigNames.ParseScheme));
        }
        else
        {
            activations = new ActivationQuantConfig(
                acts is null ? null : Flag("--activations", acts, FormatTable.Get),
                schemeA is null ? (QuantScheme?)null : Flag("--activation-scheme", schemeA, ConfigNames.ParseScheme),
                observer is null ? DefaultObserver : Flag("--calibration", observer, ObserverConfig.Parse));
        }
        var exclude = pr.GetValue(Exclude) ?? [];
        var recipePath = pr.GetValue(Recipe);
        QuantizerConfig Make(WeightQuantConfig? w) => new(mode, w, activations, pr.GetResult(ReduceRange) is null ? null : pr.GetValue(ReduceRange) ?? true,
            excludeNodes: exclude.Where(x => !opTypes.Contains(x)), excludeOpTypes: exclude.Where(opTypes.Contains),
            recipe: recipePath is null ? null : QuantRecipe.Load(recipePath), exportOpset: pr.GetValue(Opset),
            crossLayerEqualization: pr.GetValue(Cle), algorithm: AlgorithmOf(pr),
            smoothQuantAlpha: pr.GetResult(SmoothQuant) is null ? null : pr.GetValue(SmoothQuant) ?? 0.5, repQuant: pr.GetValue(RepQuant),
            rotation: pr.GetValue(Rotate) is string rot ? Flag("--rotate", rot, ParseRotation) : Quantization.Algorithms.RotationKind.None,
            quantizeOpTypes: (pr.GetValue(QuantizeOps) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            { PackWeights = pr.GetResult(Pack) is null || (pr.GetValue(Pack) ?? true) };
        var config = Make(weights);
        if (wr is null) config = WeightRangeDefault.Apply(config, Make);
        return config;
    }

    private AlgorithmConfig AlgorithmOf(ParseResult pr)
    {
        var alg = pr.GetValue(Algorithm) is string a ? Flag("--algorithm", a, ConfigNames.ParseAlgorithm) : WeightAlgorithm.Nearest;
        var bc = pr.GetResult(BiasCorrection) is null ? BiasCorrectionKind.None
            : pr.GetValue(BiasCorrection) is string b ? Flag("--bias-correction", b, ConfigNames.ParseBiasCorrection) : BiasCorrectionKind.Empirical;
        var tokens = pr.GetValue(TokenImportance) is string t ? Flag("--token-importance", t, ParseTokenWeighting) : TokenWeighting.None;
        return new AlgorithmConfig(alg, pr.GetValue(Iterations), pr.GetValue(AlgorithmSamples), actOrder: pr.GetValue(ActOrder), biasCorrection: bc,
            blockEntropy: pr.GetValue(BlockEntropy), tokenWeighting: tokens);
    }

    private static TokenWeighting ParseTokenWeighting(string s) => s.Trim().ToLowerInvariant() switch
    {
        "none" => TokenWeighting.None,
        "attention" => TokenWeighting.Attention,
        _ => throw new LowBitException(ErrorKind.Usage, "unknown token importance; use attention or none"),
    };

    private static Quantization.Algorithms.RotationKind ParseRotation(string s) => s.Trim().ToLowerInvariant() switch
    {
        "hadamard" => Quantization.Algorithms.RotationKind.Hadamard,
        "random" => Quantization.Algorithms.RotationKind.Random,
        _ => throw new LowBitException(ErrorKind.Usage, "unknown rotation; use hadamard or random"),
    };

    /// <summary>Runs a library parser; its usage error gets the flag in front.</summary>
    internal static T Flag<T>(string flag, string value, Func<string, T> parse)
    {
        try
        {
            return parse(value);
        }
        catch (LowBitException e)
        {
            throw new LowBitException(e.Kind, $"{flag} {value}: {e.Message}", e);
        }
    }
}
