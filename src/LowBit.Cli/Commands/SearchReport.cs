using System.Globalization;
using System.Text;
using System.Text.Json;
using LowBit.Cli.Support;
using LowBit.Onnx;
using LowBit.Reports.Plots;

namespace LowBit.Cli.Commands;

/// <summary><c>lowbit search --report DIR</c>: search.json (the --json result), search.md (every measured configuration)
/// and front.png (file size × float against the measured top-1 drop; estimated loss without --eval). A failure removes
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
            bool measured = r.Chosen.Drop is not null;
            var points = Points(r).Select(x => (x.Series, x.Label, x.P.SizeRatio, measured ? x.P.Drop ?? 0 : x.P.EstimatedLoss)).ToList();
            AtomicFile.WriteAllBytes(Path.Combine(d, "front.png"), ReportPlots.Scatter($"{Path.GetFileName(r.Model)}: size against {(measured ? "measured top-1 drop" : "estimated " + r.Method)}",
                "file size × float", measured ? "top-1 drop (points, ONNX Runtime)" : $"estimated {r.Method}", points));
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
        sb.AppendLine("| configuration | formats (nodes) | bytes | × float | BOPs × float | estimated loss | top-1 % | drop |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var (_, _, p) in Points(r))
            sb.AppendLine($"| {p.Name} | {p.Formats} | {p.Bytes} | {F(p.SizeRatio, "0.000")} | {F(p.BopsRatio, "0.000")} | {F(p.EstimatedLoss, "0.###e+0")} | {F(p.Top1 * 100, "0.00")} | {F(p.Drop, "0.00")} |");
        sb.AppendLine().AppendLine($"Recipe: {r.Recipe}").AppendLine().AppendLine("| node | format |").AppendLine("|---|---|");
        foreach (var (node, format) in r.Chosen.Assignment) sb.AppendLine($"| {node} | {format} |");
        return sb.ToString();
    }
}
