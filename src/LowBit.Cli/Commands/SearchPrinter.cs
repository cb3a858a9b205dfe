using System.Globalization;
using LowBit.Cli.Support;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>Human output of <c>lowbit search</c>: the chosen plan, then one table of every measured configuration
/// (latency columns under a latency budget; top-1 and drop, or cosine, with --eval).</summary>
internal static class SearchPrinter
{
    public static void Print(IAnsiConsole c, SearchResult r)
    {
        string budget = r.BudgetKind switch
        {
            "size" => $"size ({Format.Bytes(r.BudgetBytes ?? 0)})",
            "latency" => $"latency in ONNX Runtime ({r.FloatLatencyMs:0.###} ms)",
            _ => "bit operations",
        };
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/] → [bold]{Markup.Escape(Format.Shown(r.Out))}[/] in {r.Seconds:0.0} s: " +
                     $"budget {r.Budget:0.###}× of float's {budget}, method {r.Method} on {r.Samples:N0} samples of {Markup.Escape(r.Data)}");
        c.MarkupLine($"Chosen: {Markup.Escape(r.Chosen.Formats)}; {Format.Bytes(r.Chosen.Bytes)} ({r.Chosen.SizeRatio:0.000}×)" +
                     (r.Chosen.LatencyRatio is double l ? $", latency {l:0.000}× float" : "") +
                     (r.Chosen.Drop is double d ? $", top-1 {r.Chosen.Top1:P2} ({-d:+0.00;-0.00;0.00} points) in ONNX Runtime" : "") +
                     (r.Chosen.Cosine is double cos ? $", output cosine {cos:0.0000} against float in ONNX Runtime" : ""));
        c.MarkupLine($"Recipe: {Markup.Escape(Format.Shown(r.Recipe))} (lowbit quantize MODEL --recipe FILE reapplies it)");
        bool latency = r.FloatLatencyMs is not null;
        var t = new Table().Border(TableBorder.Rounded)
            .Title(r.Eval is null ? "configurations (no --eval: estimates only)" : $"configurations, judged by ONNX Runtime on {Markup.Escape(r.Eval)} ({r.EvalSamples:N0} samples)")
            .AddColumn("configuration").AddColumn("formats (nodes)").AddColumn(new TableColumn("size").RightAligned())
            .AddColumn(new TableColumn("× float").RightAligned()).AddColumn(new TableColumn("BOPs × float").RightAligned());
        if (latency) t.AddColumn(new TableColumn("est. latency ×").RightAligned()).AddColumn(new TableColumn("latency ×").RightAligned());
        t.AddColumn(new TableColumn($"est. {r.Method}").RightAligned());
        if (r.Metric == "cosine") t.AddColumn(new TableColumn("cosine").RightAligned());
        else t.AddColumn(new TableColumn("top-1").RightAligned()).AddColumn(new TableColumn("drop").RightAligned());
        static string F(double? v, string f) => v is double x ? x.ToString(f, CultureInfo.InvariantCulture) : "-";
        var floatRow = new List<string> { "float", "-", "-", "1.000", "1.000" };
        if (latency) floatRow.AddRange(["1.000", "1.000"]);
        floatRow.Add("0");
        floatRow.AddRange(r.Metric == "cosine" ? ["1"] : [F(r.FloatTop1, "P2"), "-"]);
        t.AddRow(floatRow.ToArray());
        foreach (var p in r.Uniform.Concat(r.Front).Append(r.Chosen).Concat(r.Greedy is null ? [] : [r.Greedy]))
        {
            var row = new List<string> { Markup.Escape(p.Name), Markup.Escape(p.Formats), Format.Bytes(p.Bytes), F(p.SizeRatio, "0.000"), F(p.BopsRatio, "0.000") };
            if (latency) row.AddRange([F(p.EstimatedLatencyRatio, "0.000"), F(p.LatencyRatio, "0.000")]);
            row.Add(F(p.EstimatedLoss, "0.###e+0"));
            row.AddRange(r.Metric == "cosine" ? [F(p.Cosine, "0.0000")] : [F(p.Top1, "P2"), F(p.Drop, "0.00")]);
            t.AddRow(row.ToArray());
        }
        c.Write(t);
    }
}
