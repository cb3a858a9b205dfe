using LowBit.Graph;
using LowBit.Reports.Metrics;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Reports;

/// <summary>
/// Which layers cost the accuracy: runs the quantized graph once per quantized node N with only the Q/DQ outputs that N
/// reads left quantized (<see cref="NodeIsolation"/>) and compares the model outputs with the float model's
/// (<see cref="LayerAttribution"/>). Bypassing everything must reproduce the float outputs; when it does not
/// (an unmatched Q/DQ), a warning says how far off it is.
/// Cost: (nodes + 2) runs of the quantized graph per kept batch.
/// </summary>
internal static class ErrorAttribution
{
    public static (IReadOnlyList<LayerAttribution>, double?, IReadOnlyList<string>) Run(Graph.Graph floatGraph, Graph.Graph quantized,
        List<MatchPoint> points, List<IReadOnlyDictionary<string, Tensor>> batches, LayerComparisonOptions options,
        IProgress<EvalProgress>? progress, List<string> warnings)
    {
        var sessionOptions = new SessionOptions { Threads = options.Threads, Optimize = false };
        var outputs = OutputPairs(floatGraph, quantized);
        if (outputs.Count == 0 || batches.Count == 0)
        {
            warnings.Add("error attribution skipped: the models share no output, or there were no batches");
            return ([], null, []);
        }
        var floatSession = new Session(floatGraph, sessionOptions);
        if (options.Cancellation.CanBeCanceled) floatSession.AddHook(options.CancellationHook);
        var expected = batches.Select(b =>
        {
            var r = floatSession.Run(b, outputs.Select(o => o.Float));
            return outputs.Select(o => OutputFidelityAccumulator.Floats(r[o.Float])).ToArray();
        }).ToList();

        var isolation = new NodeIsolation(quantized, points, options.Threads, options.Cancellation);
        var units = isolation.Units;
        ErrorStats Measure(IReadOnlySet<string>? keep)
        {
            var stats = new ErrorStats();
            for (int b = 0; b < batches.Count; b++)
            {
                var r = isolation.Run(batches[b], outputs.Select(o => o.Quantized), keep);
                for (int o = 0; o < outputs.Count; o++)
                {
                    var y = OutputFidelityAccumulator.Floats(r[outputs[o].Quantized]);
                    if (y.Length == expected[b][o].Length) stats.Add(expected[b][o], y);
                }
            }
            return stats;
        }

        long total = units.Count + 2, done = 0;
        var none = Measure(new HashSet<string>());
        progress?.Report(new EvalProgress("attribution", ++done, total));
        if (none.Sqnr < 80)
            warnings.Add($"with every matched Q/DQ bypassed the outputs still differ from the float model (SQNR {none.Sqnr:F1} dB): some quantization is not attributable to a node (see the unmatched list)");
        var all = Measure(null);
        progress?.Report(new EvalProgress("attribution", ++done, total));

        var raw = new List<(Node Node, IReadOnlyList<string> Tensors, double Sqnr, double Cosine)>();
        foreach (var u in units)
        {
            var s = Measure(NodeIsolation.KeepSet([u]));
            raw.Add((u.Node, u.Tensors, s.Sqnr, s.Cosine));
            progress?.Report(new EvalProgress("attribution", ++done, total));
        }
        double Noise(double sqnr) => double.IsNaN(sqnr) ? 0 : Math.Pow(10, -sqnr / 10);
        double sum = raw.Sum(r => Noise(r.Sqnr));
        var rows = raw.Select(r => new LayerAttribution(r.Node.Name.Length > 0 ? r.Node.Name : r.Node.DisplayName, r.Node.OpType, r.Tensors,
                r.Sqnr, r.Cosine, sum > 0 && double.IsFinite(sum) ? Noise(r.Sqnr) / sum : 0))
            .OrderBy(r => double.IsNaN(r.OutputSqnrDb) ? double.NegativeInfinity : r.OutputSqnrDb)
            .ThenBy(r => r.Node, StringComparer.Ordinal).ToList();
        return (rows, all.Sqnr, Suggest(rows, options.MaxSuggestions));
    }

    /// <summary>Largest noise shares first until they cover half the noise, at most <paramref name="max"/>.</summary>
    internal static List<string> Suggest(IReadOnlyList<LayerAttribution> rows, int max)
    {
        var keep = new List<string>();
        double covered = 0;
        foreach (var r in rows.OrderByDescending(r => r.NoiseShare))
        {
            if (covered >= 0.5 || keep.Count >= max || r.NoiseShare <= 0) break;
            keep.Add(r.Node);
            covered += r.NoiseShare;
        }
        return keep;
    }

    /// <summary>Graph outputs compared: same names, or the single outputs of each.</summary>
    internal static List<(string Float, string Quantized)> OutputPairs(Graph.Graph f, Graph.Graph q)
    {
        var names = q.Outputs.Select(o => o.Name).Where(n => f.Outputs.Any(x => x.Name == n)).Select(n => (n, n)).ToList();
        if (names.Count == 0 && f.Outputs.Count == 1 && q.Outputs.Count == 1) names.Add((f.Outputs[0].Name, q.Outputs[0].Name));
        return names;
    }
}
