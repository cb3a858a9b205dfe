using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Quantization.Search;

namespace LowBit.Cli.Commands;

/// <summary>
/// Quantizes a <see cref="MixedPlan"/> (the base config plus the plan's recipe, calibrated on the same samples as the
/// sensitivity) and judges it: the exported bytes; on the --eval data in ONNX Runtime, top-1 accuracy for a classifier
/// with labelled data (the float model's once, for the drop), else the mean cosine of the output against float's; with a
/// latency budget, the latency over float's in ONNX Runtime (timed side by side) and the table's estimate.
/// </summary>
internal sealed class SearchJudge
{
    private readonly SearchInputs s;
    private readonly SensitivityTable table;
    private readonly CliContext ctx;
    private readonly long floatBytes;
    private readonly Dictionary<string, Measured> measured = new(StringComparer.Ordinal);
    private readonly OrtAccuracy? accuracy;
    private readonly OrtCosine? cosine;
    private readonly SearchLatency? latency;
    private readonly Dictionary<Graph.Graph, double> timed = new(ReferenceEqualityComparer.Instance);

    public LatencyTable? Latency { get; private set; }

    private sealed record Measured(long Bytes, double? Top1, double? Cosine, double? LatencyRatio);

    public SearchJudge(CliContext ctx, SearchInputs s, SensitivityTable table, Dataset? eval, int? evalSamples, IPhaseProgress progress, bool timeLatency)
    {
        (this.ctx, this.s, this.table) = (ctx, s, table);
        floatBytes = new FileInfo(s.ModelPath).Length;
        if (eval is not null && table.Classifier && eval.HasLabels) accuracy = new OrtAccuracy(ctx, s.Graph, s.Input, eval, evalSamples, s.Threads, progress);
        else if (eval is not null) cosine = new OrtCosine(ctx, s.Graph, s.Input, eval, evalSamples, ModelData.BatchFor(s.Input, EvalCommand.DefaultBatch), s.Threads, progress);
        if (timeLatency)
        {
            latency = new SearchLatency(ctx, s, progress);
            Latency = latency.Measure(table);
        }
    }

    /// <summary>Fits the latency table to the uniform models' measured latencies (<see cref="LatencyTable.Calibrate"/>);
    /// <paramref name="uniform"/>: each format with its measured point.</summary>
    public void CalibrateLatency(IEnumerable<(string Format, SearchPoint Point)> uniform) =>
        Latency = Latency!.Calibrate(uniform.ToDictionary(u => u.Format, u => u.Point.LatencyRatio!.Value * Latency.FloatMs, StringComparer.Ordinal));

    public long? EvalSamples => accuracy?.Samples ?? cosine?.Samples;
    public double? FloatTop1 => accuracy?.FloatTop1;
    /// <summary>"top-1" or "cosine": what the --eval data measures.</summary>
    public string? Metric => accuracy is not null ? "top-1" : cosine is not null ? "cosine" : null;

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
        if (measured.TryGetValue(Key(plan), out var m)) return Point(name, plan, m, order);
        var (q, bytes) = Quantize(plan);
        return Point(name, plan, bytes, q.Graph, order);
    }

    /// <summary>Measures <paramref name="plan"/>'s already quantized graph.</summary>
    public SearchPoint Point(string name, MixedPlan plan, long bytes, Graph.Graph quantized, IReadOnlyList<string> order)
    {
        var m = new Measured(bytes, accuracy?.Top1(quantized, name), cosine?.Cosine(quantized, name), latency is null ? null : LatencyRatio(quantized, name));
        measured[Key(plan)] = m;
        return Point(name, plan, m, order);
    }

    /// <summary>ONNX Runtime latency of <paramref name="quantized"/> over float's (timed once per graph).</summary>
    public double LatencyRatio(Graph.Graph quantized, string name)
    {
        if (latency is null) throw new InvalidOperationException("latency is timed for latency budgets only");
        if (!timed.TryGetValue(quantized, out double r)) timed[quantized] = r = latency.Ratio(quantized, name);
        return r;
    }

    /// <summary>Records <paramref name="quantized"/>'s latency ratio, measured already on an identical file.</summary>
    public void Timed(Graph.Graph quantized, double ratio) => timed[quantized] = ratio;

    private SearchPoint Point(string name, MixedPlan plan, Measured m, IReadOnlyList<string> order)
    {
        double? f = FloatTop1;
        return new SearchPoint(name, plan.Summary(order), plan.EstimatedBytes, m.Bytes, Math.Round((double)m.Bytes / floatBytes, 4),
            Math.Round(MixedPrecision.Bops(table, plan) / MixedPrecision.FloatBops(table), 4), plan.EstimatedLoss,
            m.Top1, m.Top1 is double t && f is double ft ? Math.Round((ft - t) * 100, 2) : null, plan.Formats)
        {
            Cosine = m.Cosine is double c ? Math.Round(c, 6) : null,
            EstimatedLatencyRatio = Latency is null ? null : Math.Round(Latency.Estimate(plan.Formats) / Latency.FloatMs, 4),
            LatencyRatio = m.LatencyRatio is double r ? Math.Round(r, 4) : null,
        };
    }

    private static string Key(MixedPlan plan) =>
        string.Join("\n", plan.Formats.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
}
