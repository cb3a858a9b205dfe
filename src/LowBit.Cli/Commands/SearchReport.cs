using System.Globalization;
using System.Text;
using System.Text.Json;
using LowBit.Cli.Support;
using LowBit.Onnx;
using LowBit.Reports.Plots;

namespace LowBit.Cli.Commands;

/// <summary><c>lowbit search --report DIR</c>: search.json (the --json result), search.md (every measured configuration)
/// and front.png (file size × float, or latency × float under a latency budget, against the measured top-1 drop or 1 −
/// cosine; estimated loss without --eval). A failure removes
/// the folder it created.</summary>
internal static class SearchReport
{
    public static void Write(string dir, SearchResult r, CliContext ctx)
    {
        var folders = new NewFolders();
        try
        {
            string d = folders.Create(dir);
            AtomicFile.WriteAllText(Path.Combine(d, "search.json"), JsonSerializer.Serialize(r, CliContext.JsonOptions));
            AtomicFile.WriteAllText(Path.Combine(d, "search.md"), Markdown(r));
            bool latency = r.FloatLatencyMs is not null, cosine = r.Metric == "cosine", measured = r.Chosen.Drop is not null || r.Chosen.Cosine is not null;
            double Y(SearchPoint p) => !measured ? p.EstimatedLoss : cosine ? 1 - (p.Cosine ?? 1) : p.Drop ?? 0;
            string yName = !measured ? $"estimated {r.Method}" : cosine ? "1 − output cosine (ONNX Runtime)" : "top-1 drop (points, ONNX Runtime)";
            var points = Points(r).Select(x => (x.Series, x.Label, latency ? x.P.LatencyRatio ?? 0 : x.P.SizeRatio, Y(x.P))).ToList();
            string xName = latency ? "latency × float (ONNX Runtime)" : "file size × float";
            AtomicFile.WriteAllBytes(Path.Combine(d, "front.png"), ReportPlots.Scatter($"{Path.GetFileName(r.Model)}: {(latency ? "latency" : "size")} against {yName}",
                xName, yName, points));
            ctx.Trace($"wrote {d}/search.json, search.md, front.png");
        }
        catch
        {
            folders.RemoveAll();
            throw;
        }
    }

    private static IEnumerable<(string Series, string Label, SearchPoint P)> Points(SearchResult r)
    {
        foreach (var p in r.Uniform) yield return ("uniform", p.Name.Replace("all ", ""), p);
        foreach (var p in r.Front) yield return ("Pareto front (exact)", "", p);
        if (r.Greedy is { } g) yield return ("greedy", "", g);
        yield return ("chosen", "chosen", r.Chosen);
    }

    private static string Markdown(SearchResult r)
    {
        var sb = new StringBuilder();
        string F(double? v, string f) => v is double x ? x.ToString(f, CultureInfo.InvariantCulture) : "-";
        sb.AppendLine($"# {Path.GetFileName(r.Model)}: per-layer formats under a {r.BudgetKind} budget of {r.Budget}× float").AppendLine();
        sb.AppendLine($"Method {r.Method} on {r.Samples} samples of {r.Data}; judged by ONNX Runtime on {r.Eval ?? "(no --eval)"} ({r.EvalSamples} samples); float top-1 {F(r.FloatTop1 * 100, "0.00")} %.").AppendLine();
        if (r.FloatLatencyMs is double ms) sb.AppendLine($"Float latency {ms:0.###} ms in ONNX Runtime (batch 1); latencies below are over float's, timed side by side.").AppendLine();
        sb.AppendLine("| configuration | formats (nodes) | bytes | × float | BOPs × float | est. latency × | latency × | estimated loss | top-1 % | drop | cosine |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (_, _, p) in Points(r))
            sb.AppendLine($"| {p.Name} | {p.Formats} | {p.Bytes} | {F(p.SizeRatio, "0.000")} | {F(p.BopsRatio, "0.000")} | {F(p.EstimatedLatencyRatio, "0.000")} | {F(p.LatencyRatio, "0.000")} | " +
                $"{F(p.EstimatedLoss, "0.###e+0")} | {F(p.Top1 * 100, "0.00")} | {F(p.Drop, "0.00")} | {F(p.Cosine, "0.0000")} |");
        sb.AppendLine().AppendLine($"Recipe: {r.Recipe}").AppendLine().AppendLine("| node | format |").AppendLine("|---|---|");
        foreach (var (node, format) in r.Chosen.Assignment) sb.AppendLine($"| {node} | {format} |");
        return sb.ToString();
    }
}
