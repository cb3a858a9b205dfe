using LowBit.Cli.Support;
using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Quantization.Prepare;
using LowBit.Quantization.Search;
using LowBit.Tensors;

namespace LowBit.Cli.Commands;

/// <summary>
/// Latency in ONNX Runtime for <c>lowbit search --budget latency=R</c>: the per-layer, per-format table (each weighted
/// node cut out as a one-node model, <see cref="NodeModels"/>, quantized at each candidate format and timed alone without
/// the Q/DQ at its edges), and
/// whole-model ratios against float. One sample (batch 1, or the model's fixed batch) on --threads intra-op threads.
/// Sessions are timed interleaved (<see cref="BenchLoop"/>: A B, B A, ...) with spinning off, so that an idle session's
/// spinning threads never steal the cores of the one being timed; medians of every run.
/// </summary>
internal sealed class SearchLatency(CliContext ctx, SearchInputs s, IPhaseProgress progress)
{
    /// <summary>Seconds each node's sessions are timed (all formats together); each gets at least <see cref="MinRuns"/> runs.</summary>
    public const double NodeSeconds = 0.6;
    /// <summary>Seconds a whole model and float are timed side by side.</summary>
    public const double ModelSeconds = 2.0;
    private const int MinRuns = 15, Warmup = 3;

    private readonly IReadOnlyDictionary<string, Tensor> sample = ModelData.Samples(s.Data, s.Input.Name, 1).First();

    public LatencyTable Measure(SensitivityTable table)
    {
        var keys = table.Rows.Where(r => r.Parameters > 0).Select(r => r.Node).Distinct().ToList();
        var prepared = GraphPreparation.Run(s.Graph).Graph;
        var models = NodeModels.Of(prepared, sample, keys, s.Threads);
        var formats = s.Choices.Keys.Where(f => f != FormatChoice.FloatName).ToList();
        var ms = new Dictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        double overhead = Time([RunOverhead()])[0];
        for (int i = 0; i < models.Count; i++)
        {
            var m = models[i];
            progress.Report("time layers in ONNX Runtime", i, models.Count);
            var runs = new List<(Graph.Graph, IReadOnlyDictionary<string, Tensor>)> { (m.Model, m.Inputs) };
            foreach (var f in formats)
            {
                var q = Quantizer.Quantize(m.Model, s.BaseConfig.With(s.Choices[f].Weights), s.Calibration is null ? null : [m.Inputs],
                    calibrationOptions: new CalibrationOptions { Threads = s.Threads, Cancellation = ctx.Cancellation }).Graph;
                runs.Add(NodeModels.Interior(q, m.Inputs, s.Threads));
            }
            var medians = Time(runs);
            ms[m.Key] = new[] { FormatChoice.FloatName }.Concat(formats).Select((f, j) => (f, Math.Max(0, medians[j] - overhead)))
                .ToDictionary(x => x.f, x => x.Item2, StringComparer.Ordinal);
        }
        progress.Report("time float model in ONNX Runtime", 0, 1);
        double floatMs = Time([(s.Graph, sample)], ModelSeconds)[0];
        return new LatencyTable(ms, floatMs, "ONNX Runtime", s.Threads, sample.Values.First().Shape[0]);
    }

    /// <summary>A one-element Identity model: its time is what every session run costs besides the work (subtracted from
    /// each layer's time, which would otherwise count that cost once per layer instead of once per model).</summary>
    private static (Graph.Graph, IReadOnlyDictionary<string, Tensor>) RunOverhead()
    {
        var g = new Graph.Graph { Name = "overhead" };
        g.Inputs.Add(new Graph.ValueInfo("x", DType.Float32, [Graph.Dim.Known(1)]));
        g.Add("Identity", ["x"], ["y"], "identity");
        g.Outputs.Add(new Graph.ValueInfo("y", DType.Float32, [Graph.Dim.Known(1)]));
        return (g, new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(new float[1], 1) });
    }

    /// <summary>Median latency of <paramref name="g"/> over float's, timed side by side.</summary>
    public double Ratio(Graph.Graph g, string name)
    {
        progress.Report($"time {name} in ONNX Runtime", 0, 1);
        var medians = Time([(s.Graph, sample), (g, sample)], ModelSeconds);
        return medians[1] / medians[0];
    }

    private double[] Time(IReadOnlyList<(Graph.Graph Graph, IReadOnlyDictionary<string, Tensor> Inputs)> models, double seconds = NodeSeconds)
    {
        var runners = models.Select(m => OrtRunner.FromGraph(m.Graph, s.Threads, spinning: false)).ToList();
        var prepared = runners.Select((r, i) => r.Prepare(models[i].Inputs)).ToList();
        try
        {
            var loop = new BenchLoop(prepared.Select(p => (Action)p.Run).ToArray(), ctx.Cancellation);
            loop.Warmup(Warmup);
            loop.Measure(null, seconds, MinRuns, null);
            return loop.Milliseconds.Select(x => LatencyStats.Of(x).MedianMs).ToArray();
        }
        finally
        {
            foreach (var p in prepared) p.Dispose();
            foreach (var r in runners) r.Dispose();
        }
    }
}
