using LowBit.Graph;
using LowBit.Reports.Metrics;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Reports;

/// <summary>
/// Which layers cost the accuracy: runs the quantized graph once per quantized node N with only the Q/DQ outputs that N
/// reads left quantized, every other one bypassed through a value hook (no graph surgery):
/// an activation's DequantizeLinear output is replaced by a copy of the float value that entered its QuantizeLinear in
/// the same run, a weight's/bias's by the float initializer it was matched with. The model outputs are compared with
/// the float model's (<see cref="LayerAttribution"/>). A dequantized value that several nodes read stays quantized for
/// all of them while one of them is examined. Bypassing everything must reproduce the float outputs; when it does not
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

        // Bypassable Q/DQ outputs: post name → (pre name | float constant).
        var bypass = new Dictionary<string, (string? Pre, Tensor? Constant)>(StringComparer.Ordinal);
        foreach (var p in points)
        {
            if (p.Kind == PointKind.Activation && p.PreName is string x) bypass[p.PostName] = (x, null);
            else if (p.RefConstant is Tensor c) bypass[p.PostName] = (null, c);
        }
        var pres = bypass.Values.Where(v => v.Pre is not null).GroupBy(v => v.Pre!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var units = quantized.Nodes.Where(n => !LayerMatching.IsQ(n) && !LayerMatching.IsDQ(n))
            .Select(n => (Node: n, Tensors: n.Inputs.Where(bypass.ContainsKey).Distinct().ToList()))
            .Where(u => u.Tensors.Count > 0).ToList();

        var hook = new BypassHook(bypass, pres);
        // No buffer reuse here: a pooled DequantizeLinear output that the hook replaces is never handed back to the
        // session's pool, which would keep every replaced buffer alive for the session's lifetime.
        var session = new Session(quantized, sessionOptions with { ReuseBuffers = false });
        session.AddHook(hook.On);
        if (options.Cancellation.CanBeCanceled) session.AddHook(options.CancellationHook);
        ErrorStats Measure(HashSet<string>? keep)
        {
            hook.Keep = keep;
            var stats = new ErrorStats();
            for (int b = 0; b < batches.Count; b++)
            {
                var r = session.Run(batches[b], outputs.Select(o => o.Quantized));
                for (int o = 0; o < outputs.Count; o++)
                {
                    var y = OutputFidelityAccumulator.Floats(r[outputs[o].Quantized]);
                    if (y.Length == expected[b][o].Length) stats.Add(expected[b][o], y);
                }
                hook.Clear();
            }
            return stats;
        }

        long total = units.Count + 2, done = 0;
        var none = Measure([]);
        progress?.Report(new EvalProgress("attribution", ++done, total));
        if (none.Sqnr < 80)
            warnings.Add($"with every matched Q/DQ bypassed the outputs still differ from the float model (SQNR {none.Sqnr:F1} dB): some quantization is not attributable to a node (see the unmatched list)");
        var all = Measure(null);
        progress?.Report(new EvalProgress("attribution", ++done, total));

        var raw = new List<(Node Node, List<string> Tensors, double Sqnr, double Cosine)>();
        foreach (var (node, tensors) in units)
        {
            var s = Measure(new HashSet<string>(tensors, StringComparer.Ordinal));
            raw.Add((node, tensors, s.Sqnr, s.Cosine));
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

    /// <summary>Replaces every bypassable Q/DQ output not in <see cref="Keep"/> (null: keep all) by its float value.
    /// Replacements are fresh copies: the session recycles a node output's buffer once its readers ran.</summary>
    private sealed class BypassHook(Dictionary<string, (string? Pre, Tensor? Constant)> bypass, Dictionary<string, int> pres)
    {
        private readonly Dictionary<string, Tensor> stash = new(StringComparer.Ordinal);
        public HashSet<string>? Keep { get; set; }

        public Tensor? On(string name, Node? producer, Tensor value)
        {
            if (Keep is null) return null;
            if (pres.ContainsKey(name)) stash[name] = value.Clone();
            if (!bypass.TryGetValue(name, out var how) || Keep.Contains(name)) return null;
            // A float value read by several QuantizeLinear nodes is handed out as copies; otherwise the stash itself.
            Tensor? replacement = how.Pre is string pre
                ? (pres[pre] > 1 ? stash.GetValueOrDefault(pre)?.Clone() : stash.Remove(pre, out var s) ? s : null)
                : how.Constant?.Clone();
            return replacement is not null && replacement.DType == value.DType && replacement.Shape.SequenceEqual(value.Shape) ? replacement : null;
        }

        public void Clear() => stash.Clear();
    }
}
