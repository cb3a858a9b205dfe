using System.CommandLine;
using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Formats;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Quantization.Observers;
using LowBit.Quantization.Search;
using LowBit.Reports;
using LowBit.Tensors;

namespace LowBit.Cli.Commands;

/// <summary>What <c>lowbit sensitivity</c> and <c>lowbit search</c> measure on: the float model, the base config, the
/// candidate formats, calibration samples and the sensitivity batches (labels kept when the data has them).</summary>
internal sealed record SearchInputs(string ModelPath, Graph.Graph Graph, Graph.ValueInfo Input, QuantizerConfig BaseConfig,
    IReadOnlyDictionary<string, FormatChoice> Choices, Dataset Data, IReadOnlyList<IReadOnlyDictionary<string, Tensor>>? Calibration,
    IReadOnlyList<EvalBatch> Batches, int Threads);

/// <summary>
/// The flags <c>sensitivity</c> and <c>search</c> share. The base config is static W·A8 (uint8 activations, the quantize
/// command's mse observer) or weight-only with <c>--activations none</c>; <c>--formats</c> lists the per-layer weight
/// candidates. Calibration uses the first <c>--calib-samples</c> of <c>--data</c>; sensitivity the next <c>--samples</c>
/// (or the first ones when the data is too small to hold both).
/// </summary>
internal sealed class SearchOptions
{
    public const int DefaultSamples = 512;
    public const int DefaultBatch = 64;

    public Argument<string> Model { get; } = CommonOptions.Model();
    public Option<string> Data { get; } = new("--data", "-d", "--calib-data") { Description = "Data the model is calibrated and the layers are measured on (labels add the loss method): fashion-mnist:train, images=DIR,preset=...,size=N, idx=..., npy=...", HelpName = "SPEC", Required = true };
    public Option<string> Formats { get; } = new("--formats") { Description = "Candidate formats per layer, comma-separated: weight formats and float (default int8,int4,float)", HelpName = "F,...", DefaultValueFactory = _ => "int8,int4,float" };
    public Option<string?> Activations { get; } = new("--activations", "-a") { Description = "Activation format (static; default uint8) or none (weight-only candidates)", HelpName = "FORMAT" };
    public Option<string?> Granularity { get; } = new("--granularity", "-g") { Description = $"Weight scale granularity (default per-channel; group:32 weight-only): {string.Join(", ", WeightGranularity.KnownNames)}", HelpName = "G" };
    public Option<string?> WeightRange { get; } = new("--weight-range") { Description = $"Weight range method of every format: {string.Join(", ", ConfigNames.WeightRanges)} (default: mse for ≤ 4 bits, else minmax)", HelpName = "METHOD" };
    public Option<string?> Calibration { get; } = new("--calibration", "-c") { Description = $"Activation range observer (default mse): {string.Join(", ", ObserverConfig.KnownNames)}", HelpName = "OBSERVER" };
    public Option<int?> CalibSamples { get; } = CommonOptions.AtLeast("--calib-samples", 1, $"Calibration samples, the first N of --data (default {QuantizeOptions.DefaultCalibSamples})");
    public Option<int?> Samples { get; } = CommonOptions.AtLeast("--samples", 1, $"Samples the layers are measured on, after the calibration samples (default {DefaultSamples})");
    public Option<int?> Batch { get; } = CommonOptions.AtLeast("--batch", 1, $"Samples per run (default {DefaultBatch}, or the model's fixed batch dim)");
    public Option<int> Threads { get; } = CommonOptions.Threads();

    public IEnumerable<Symbol> All => [Model, Data, Formats, Activations, Granularity, WeightRange, Calibration, CalibSamples, Samples, Batch, Threads];

    public SearchInputs Open(CliContext ctx, ParseResult pr)
    {
        string model = pr.GetValue(Model)!;
        if (!File.Exists(model)) throw new LowBitException(ErrorKind.FileNotFound, $"{model}: file not found");
        var names = FormatChoice.ParseList(pr.GetValue(Formats)!, "--formats");
        if (names.All(n => n == FormatChoice.FloatName))
            throw new LowBitException(ErrorKind.Usage, "--formats: name at least one weight format besides float (e.g. int8,int4,float)");
        ctx.Trace($"loading {model}");
        var graph = OnnxImporter.Load(model);
        QuantizePipeline.ThrowIfQuantized(graph, model);
        UnsupportedOps.ThrowIfAny(graph, model);
        var input = ModelData.SingleInput(graph, model);
        var (config, range) = BaseConfig(pr, names);
        var data = ModelData.Open(pr.GetValue(Data)!, input, "--data");
        foreach (var w in DataSanity.Check(model, data, input.Name, pr.GetValue(Data)!)) ctx.Warn(w);
        int calibCount = config.Mode == QuantMode.Static ? Math.Min(pr.GetValue(CalibSamples) ?? QuantizeOptions.DefaultCalibSamples, data.Count) : 0;
        int wanted = pr.GetValue(Samples) ?? DefaultSamples;
        var sensitivity = data.Count - calibCount >= wanted ? (Start: calibCount, Count: wanted) : (Start: 0, Count: Math.Min(wanted, data.Count));
        if (sensitivity.Start == 0 && calibCount > 0)
            ctx.Warn($"--data {data.Name}: {data.Count} samples hold no {wanted} beyond the {calibCount} calibration samples; the layers are measured on the first {sensitivity.Count} (overlapping calibration)");
        int batch = ModelData.BatchFor(input, pr.GetValue(Batch) ?? DefaultBatch);
        var batches = EvalData.Batches(new DataSlice(data, sensitivity.Start, sensitivity.Count), input.Name, batch).ToList();
        var calib = calibCount == 0 ? null : ModelData.Samples(data, input.Name, calibCount).ToList();
        return new SearchInputs(model, graph, input, config, FormatChoice.All(config, names, range), data, calib, batches, pr.GetValue(Threads));
    }

    /// <summary>The base config (weights: the first listed weight format) and the weight range given, if any.</summary>
    private (QuantizerConfig, Quantization.WeightRange?) BaseConfig(ParseResult pr, IReadOnlyList<string> names)
    {
        string? acts = pr.GetValue(Activations), observer = pr.GetValue(Calibration);
        bool weightOnly = acts is "none";
        var mode = weightOnly ? QuantMode.WeightOnly : QuantMode.Static;
        if (weightOnly && observer is not null)
            throw new LowBitException(ErrorKind.Usage, $"--calibration {observer}: --activations none quantizes no activations");
        var range = pr.GetValue(WeightRange) is string r ? QuantizeOptions.Flag("--weight-range", r, ConfigNames.ParseWeightRange) : (Quantization.WeightRange?)null;
        var granularity = pr.GetValue(Granularity) is string g ? QuantizeOptions.Flag("--granularity", g, WeightGranularity.Parse)
            : weightOnly ? new WeightGranularity.Group(32) : new WeightGranularity.PerChannel();
        var first = FormatTable.Get(names.First(n => n != FormatChoice.FloatName));
        var scheme = first.IntegerRange is { Min: >= 0 } ? QuantScheme.Asymmetric : QuantScheme.Symmetric;
        var activations = weightOnly ? null : new ActivationQuantConfig(acts is null ? null : QuantizeOptions.Flag("--activations", acts, FormatTable.Get),
            null, observer is null ? QuantizeOptions.DefaultObserver : QuantizeOptions.Flag("--calibration", observer, ObserverConfig.Parse));
        // Weight-only layers are measured and exported as DequantizeLinear + float op: MatMulNBits nodes pack their weights
        // where the per-layer isolation cannot pair them with the float ones, and compute with int8 activations besides.
        return (new QuantizerConfig(mode, new WeightQuantConfig(first, granularity, scheme, range), activations,
            weightOnlyKernel: weightOnly ? WeightOnlyKernel.DequantizeLinear : WeightOnlyKernel.Auto), range);
    }
}
