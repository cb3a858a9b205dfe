using LowBit.OnnxRuntime;
using LowBit.Reports.Writers;
using LowBit.Tensors;

namespace LowBit.Cli.Support;

/// <summary>Median ONNX Runtime latency of one model file in a side-by-side measurement.</summary>
internal sealed record ModelLatency(string Path, int Runs, double MedianMs, double P90Ms, double MinMs);

/// <summary>
/// ONNX Runtime latency of several model files measured side by side in this process with the bench machinery
/// (<see cref="BenchLoop"/>): every file gets its own session with the same threads, inputs prepared once, a warm-up,
/// then runs interleaved (A B C, C B A, ...) until the time budget is spent; medians per file. Idle intra-op threads do
/// not spin, so one session's threads do not steal the cores of the next. Only the ratios mean something across machines.
/// </summary>
internal static class LatencyCompare
{
    public const int Warmup = 3;
    public const int MinRuns = 5;

    public static IReadOnlyList<ModelLatency> Measure(IReadOnlyList<string> paths, IReadOnlyDictionary<string, Tensor> inputs, int threads,
        double seconds, CancellationToken cancellation, Action<string>? progress = null)
    {
        var runners = new List<OrtRunner>();
        var prepared = new List<OrtRunner.PreparedRun>();
        try
        {
            foreach (var p in paths)
            {
                var r = OrtRunner.FromFile(p, threads, spinning: false);
                runners.Add(r);
                prepared.Add(r.Prepare(inputs));
            }
            var loop = new BenchLoop(prepared.Select(p => (Action)p.Run).ToArray(), cancellation);
            loop.Warmup(Warmup);
            loop.Measure(null, seconds, MinRuns, progress);
            return paths.Select((p, i) =>
            {
                var s = LatencyStats.Of(loop.Milliseconds[i]);
                return new ModelLatency(p, s.Runs, s.MedianMs, s.P90Ms, s.MinMs);
            }).ToList();
        }
        finally
        {
            foreach (var p in prepared) p.Dispose();
            foreach (var r in runners) r.Dispose();
        }
    }

    /// <summary>Float file vs quantized file, as the report's <see cref="LatencyComparison"/>.</summary>
    public static LatencyComparison BeforeAfter(string floatPath, string quantizedPath, IReadOnlyDictionary<string, Tensor> inputs, int threads,
        double seconds, CancellationToken cancellation)
    {
        var m = Measure([floatPath, quantizedPath], inputs, threads, seconds, cancellation);
        int batch = inputs.Values.FirstOrDefault() is { Rank: > 0 } t ? t.Shape[0] : 1;
        return new LatencyComparison("ort", threads, batch, Math.Min(m[0].Runs, m[1].Runs), Math.Round(m[0].MedianMs, 4), Math.Round(m[1].MedianMs, 4));
    }
}
