using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Quantization;
using LowBit.Quantization.Search;
using LowBit.Reports;
using LowBit.Tensors;

namespace LowBit.Cli.Commands;

/// <summary>A node <c>--max-drop</c> returned to the fallback format: its sensitivity and the bytes that cost.</summary>
internal sealed record RestoredNode(string Node, string Op, double Score, long ExtraBytes);

/// <summary>What <c>--max-drop</c> did (JSON <c>max_drop</c> of <c>lowbit quantize</c>).</summary>
internal sealed record MaxDropInfo(double Target, string Eval, int Samples, double FloatTop1, double InitialDrop, double Drop, bool Met,
    string Fallback, string RankedBy, IReadOnlyList<RestoredNode> Restored, IReadOnlyList<FallbackTrial> Trials);

/// <summary>
/// <c>lowbit quantize ... --max-drop D --eval-data SPEC [--fallback float|FORMAT]</c>: <see cref="AccuracyControl"/> with
/// drops measured in ONNX Runtime (<see cref="OrtAccuracy"/>) and the ranking from single-layer sensitivity
/// (<see cref="LayerSensitivity"/>: KL for classifiers, else output SQNR) on up to <see cref="RankSamples"/> samples of
/// --calib-data after the calibration ones.
/// </summary>
internal static class QuantizeMaxDrop
{
    public const int RankSamples = 512;

    /// <summary>The target: D points of top-1, or (D%) D percent of the float model's top-1.</summary>
    public sealed record Target(double Value, bool Relative)
    {
        public double Points(double floatTop1) => Relative ? Value / 100 * floatTop1 * 100 : Value;
    }

    /// <summary>"0.3" → 0.3 points; "1%" → 1 % of the float accuracy (a usage error otherwise).</summary>
    public static Target ParseTarget(string spec)
    {
        string s = spec.Trim();
        bool relative = s.EndsWith('%');
        if (!double.TryParse(relative ? s[..^1] : s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) || !(v >= 0))
            throw new LowBitException(ErrorKind.Usage, $"--max-drop {spec}: expected D (points of top-1, ≥ 0) or D% (relative to the float accuracy), e.g. 0.3 or 1%");
        return new Target(v, relative);
    }

    public sealed record Request(Target MaxDrop, string EvalSpec, int? EvalSamples, string? Fallback, string? CalibSpec, int CalibCount, int Threads);

    /// <summary>Checks the flags before any work: a labelled --eval-data for the model's single input, a usable fallback.</summary>
    public static (Dataset Eval, FormatChoice Fallback) Check(QuantizerConfig config, Graph.ValueInfo? input, string model, string? evalSpec, string? fallback)
    {
        if (config.Mode == QuantMode.Dynamic) throw new LowBitException(ErrorKind.Usage, "--max-drop: dynamic mode has no per-layer fallback here; use static or weight-only");
        if (input is null) throw new LowBitException(ErrorKind.Usage, $"--max-drop measures top-1 accuracy on a dataset, which feeds one input; {model} has several");
        if (evalSpec is null) throw new LowBitException(ErrorKind.Usage, "--max-drop needs --eval-data SPEC: labelled data to measure the drop on (a validation split)");
        var eval = ModelData.Open(evalSpec, input, "--eval-data");
        if (!eval.HasLabels) throw new LowBitException(ErrorKind.Usage, $"--eval-data {evalSpec}: {eval.Name} has no labels; the drop is in top-1 points");
        var choice = fallback is null or FormatChoice.FloatName ? FormatChoice.Float
            : FormatChoice.All(config, [QuantizeOptions.Flag("--fallback", fallback, Formats.FormatTable.Get).Name], null).Values.Single();
        return (eval, choice);
    }

    public static (QuantizedModel, MaxDropInfo) Run(CliContext ctx, Graph.Graph graph, Graph.ValueInfo input, QuantizerConfig config,
        IReadOnlyList<IReadOnlyDictionary<string, Tensor>>? calibration, Dataset eval, FormatChoice fallback, Request req, IPhaseProgress progress)
    {
        var judge = new OrtAccuracy(ctx, graph, input, eval, req.EvalSamples, req.Threads, progress);
        SensitivityTable? table = null;
        string low = config.Weights.Format.Name;
        IReadOnlyList<string> Rank()
        {
            var choices = new Dictionary<string, FormatChoice>(StringComparer.Ordinal) { [low] = FormatChoice.Of(config) };
            choices.TryAdd(fallback.Name, fallback);
            table = LayerSensitivity.Measure(graph, config, choices, calibration, RankBatches(input, req), new SensitivityOptions
            {
                Threads = req.Threads, Cancellation = ctx.Cancellation,
                Progress = new Progress<(string Phase, long Done, long Total)>(x => progress.Report("ranking layers: " + x.Phase, x.Done, x.Total)),
            });
            var method = SensitivityMethods.Default(table);
            return table.Rows.Where(r => r.Format == low).OrderByDescending(r => r.Score(method) ?? 0).Select(r => r.Node).ToList();
        }
        int trial = 0;
        double target = req.MaxDrop.Points(judge.FloatTop1);
        var result = AccuracyControl.Run(graph, config, calibration, Rank, fallback, target, q => judge.Drop(q.Graph, $"trial {++trial}"),
            new Progress<(string Phase, long Done, long Total)>(x => progress.Report(x.Phase, x.Done, x.Total)), ctx.Cancellation);
        var restored = result.Restored.Select(n =>
        {
            var r = table!.Row(n, low)!;
            long extra = table.Row(n, fallback.Name) is { } f ? f.Bytes - r.Bytes : 0;
            return new RestoredNode(n, r.OpType, r.Score(SensitivityMethods.Default(table)) ?? 0, extra);
        }).ToList();
        return (result.Model, new MaxDropInfo(target, eval.Name, judge.Samples, judge.FloatTop1, result.InitialDrop, result.Drop, result.Met,
            fallback.Name, table is null ? "-" : SensitivityMethods.Name(SensitivityMethods.Default(table)), restored, result.Trials));
    }

    /// <summary>Up to <see cref="RankSamples"/> samples of --calib-data after the calibration ones (or its first ones);
    /// without --calib-data (weight-only), of --eval-data.</summary>
    private static List<EvalBatch> RankBatches(Graph.ValueInfo input, Request req)
    {
        var data = req.CalibSpec is null ? ModelData.Open(req.EvalSpec, input, "--eval-data") : ModelData.Open(req.CalibSpec, input, "--calib-data");
        int start = data.Count - req.CalibCount >= RankSamples ? req.CalibCount : 0;
        int count = Math.Min(RankSamples, data.Count - start);
        return EvalData.Batches(new DataSlice(data, start, count), input.Name, ModelData.BatchFor(input, SearchOptions.DefaultBatch)).ToList();
    }
}
