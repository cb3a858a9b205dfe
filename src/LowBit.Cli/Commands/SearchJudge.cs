using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Quantization.Search;

namespace LowBit.Cli.Commands;

/// <summary>
/// Quantizes a <see cref="MixedPlan"/> (the base config plus the plan's recipe, calibrated on the same samples as the
/// sensitivity) and judges it: the exported bytes, and top-1 accuracy in ONNX Runtime on the --eval data (the float
/// model's once, for the drop).
/// </summary>
internal sealed class SearchJudge(CliContext ctx, SearchInputs s, SensitivityTable table, Dataset? eval, int? evalSamples, IPhaseProgress progress)
{
    private readonly long floatBytes = new FileInfo(s.ModelPath).Length;
    private readonly Dictionary<string, (long Bytes, double? Top1)> measured = new(StringComparer.Ordinal);
    private readonly OrtAccuracy? judge = eval is null ? null : new OrtAccuracy(ctx, s.Graph, s.Input, eval, evalSamples, s.Threads, progress);

    public long? EvalSamples => judge?.Samples;
    public double? FloatTop1 => judge?.FloatTop1;

    public (QuantizedModel Model, long Bytes) Quantize(MixedPlan plan)
    {
        var config = s.BaseConfig.With(recipe: MixedPrecision.Recipe(plan, s.Choices, s.BaseConfig.Recipe));
        var q = Quantizer.Quantize(s.Graph, config, s.Calibration, calibrationOptions: new CalibrationOptions()
            { Threads = s.Threads, Cancellation = ctx.Cancellation });
        return (q, OnnxExporter.ToBytes(q.Graph).LongLength);
    }

    /// <summary>Quantizes <paramref name="plan"/> and measures it; an assignment already measured (the front's first point is
    /// the cheapest uniform format, the chosen plan often one of the front's) is not quantized or evaluated again.</summary>
    public SearchPoint Measure(string name, MixedPlan plan, IReadOnlyList<string> order)
    {
        if (measured.TryGetValue(Key(plan), out var m)) return Point(name, plan, m.Bytes, m.Top1, order);
        var (q, bytes) = Quantize(plan);
        return Point(name, plan, bytes, q.Graph, order);
    }

    /// <summary>Measures <paramref name="plan"/>'s already quantized graph.</summary>
    public SearchPoint Point(string name, MixedPlan plan, long bytes, Graph.Graph quantized, IReadOnlyList<string> order)
    {
        double? top1 = Top1(quantized, name);
        measured[Key(plan)] = (bytes, top1);
        return Point(name, plan, bytes, top1, order);
    }

    private SearchPoint Point(string name, MixedPlan plan, long bytes, double? top1, IReadOnlyList<string> order)
    {
        double? f = FloatTop1;
        return new SearchPoint(name, plan.Summary(order), plan.EstimatedBytes, bytes, Math.Round((double)bytes / floatBytes, 4),
            Math.Round(MixedPrecision.Bops(table, plan) / MixedPrecision.FloatBops(table), 4), plan.EstimatedLoss,
            top1, top1 is double t && f is double ft ? Math.Round((ft - t) * 100, 2) : null, plan.Formats);
    }

    private static string Key(MixedPlan plan) =>
        string.Join("\n", plan.Formats.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));

    private double? Top1(Graph.Graph g, string name) => judge?.Top1(g, name);
}
