using System.Globalization;
using LowBit.Cli.Support;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>Human output of <c>lowbit search</c>: the chosen plan, then one table of every measured configuration.</summary>
internal static class SearchPrinter
{
    public static void Print(IAnsiConsole c, SearchResult r)
    {
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/] → [bold]{Markup.Escape(Format.Shown(r.Out))}[/] in {r.Seconds:0.0} s: " +
                     $"budget {r.Budget:0.###}× of float's {(r.BudgetBytes is long b ? $"size ({Format.Bytes(b)})" : "bit operations")}, method {r.Method} on {r.Samples:N0} samples of {Markup.Escape(r.Data)}");
        c.MarkupLine($"Chosen: {Markup.Escape(r.Chosen.Formats)}; {Format.Bytes(r.Chosen.Bytes)} ({r.Chosen.SizeRatio:0.000}×)" +
                     (r.Chosen.Drop is double d ? $", top-1 {r.Chosen.Top1:P2} ({-d:+0.00;-0.00;0.00} points) in ONNX Runtime" : ""));
        c.MarkupLine($"Recipe: {Markup.Escape(Format.Shown(r.Recipe))} (lowbit quantize MODEL --recipe FILE reapplies it)");
        var t = new Table().Border(TableBorder.Rounded)
            .Title(r.Eval is null ? "configurations (no --eval: estimates only)" : $"configurations, judged by ONNX Runtime on {Markup.Escape(r.Eval)} ({r.EvalSamples:N0} samples)")
            .AddColumn("configuration").AddColumn("formats (nodes)").AddColumn(new TableColumn("size").RightAligned())
            .AddColumn(new TableColumn("× float").RightAligned()).AddColumn(new TableColumn("BOPs × float").RightAligned())
            .AddColumn(new TableColumn($"est. {r.Method}").RightAligned())
            .AddColumn(new TableColumn("top-1").RightAligned()).AddColumn(new TableColumn("drop").RightAligned());
        if (r.FloatTop1 is double f) t.AddRow("float", "-", "-", "1.000", "1.000", "0", f.ToString("P2", CultureInfo.InvariantCulture), "-");
        foreach (var p in r.Uniform.Concat(r.Front).Append(r.Chosen).Concat(r.Greedy is null ? [] : [r.Greedy]))
            t.AddRow(Markup.Escape(p.Name), Markup.Escape(p.Formats), Format.Bytes(p.Bytes), p.SizeRatio.ToString("0.000", CultureInfo.InvariantCulture),
                p.BopsRatio.ToString("0.000", CultureInfo.InvariantCulture),
                p.EstimatedLoss.ToString("0.###e+0", CultureInfo.InvariantCulture), p.Top1 is double a ? a.ToString("P2", CultureInfo.InvariantCulture) : "-",
                p.Drop is double d2 ? d2.ToString("0.00", CultureInfo.InvariantCulture) : "-");
        c.Write(t);
    }
}
