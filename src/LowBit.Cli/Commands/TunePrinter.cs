using LowBit.Cli.Support;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>Human output of <c>lowbit tune</c>: the trials (or, for compare, the strategy table and the best configs), the
/// best config and the quantize command that reproduces it.</summary>
internal static class TunePrinter
{
    public const int CompareRows = 10;

    public static void Print(IAnsiConsole c, TuneResult r)
    {
        int cached = r.Trials.Count(t => t.Cached);
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/]: {r.Strategy}, {r.Trials.Count} of {r.GridSize} configurations in {r.Seconds:0.0} s" +
                     $" ({cached} from {Markup.Escape(Format.Shown(r.Log))}); top-1 in ONNX Runtime on {r.EvalSamples:N0} samples of {Markup.Escape(r.Eval)}" +
                     (r.FloatTop1 is double f ? $", float {f:P2}" : ""));
        if (r.Comparison is { } cmp)
        {
            var t = new Table().Border(TableBorder.Rounded)
                .Title($"trials to reach the grid's best top-1 {cmp.BestTop1:P2} ({cmp.BestConfigs} of {cmp.GridSize} configs reach it), {cmp.Seeds.Count} seeds")
                .AddColumn("strategy").AddColumn(new TableColumn("mean trials to best").RightAligned()).AddColumn(new TableColumn("× grid size").RightAligned())
                .AddColumn(new TableColumn($"mean to within {cmp.Tolerance:0.##} pt").RightAligned()).AddColumn("per seed");
            foreach (var s in cmp.Strategies)
                t.AddRow(s.Strategy, $"{s.MeanToBest:0.0}", $"{s.FractionOfGrid:0.000}", $"{s.MeanToNearBest:0.0}", string.Join(" ", s.ToBest));
            c.Write(t);
        }
        var rows = r.Comparison is null ? r.Trials : r.Trials.OrderByDescending(x => x.Top1 ?? -1).ThenBy(x => x.Trial).Take(CompareRows).ToList();
        var table = new Table().Border(TableBorder.Rounded).Title(r.Comparison is null ? "trials" : $"best {rows.Count} configurations")
            .AddColumn(new TableColumn("#").RightAligned()).AddColumn("configuration").AddColumn(new TableColumn("top-1").RightAligned())
            .AddColumn(new TableColumn("size").RightAligned()).AddColumn(new TableColumn("s").RightAligned());
        foreach (var x in rows)
            table.AddRow(x.Trial.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(x.Key),
                x.Top1 is double t1 ? $"{t1:P2}" : "[red]failed[/]", x.Bytes is long b ? Format.Bytes(b) : "-", x.Cached ? "log" : $"{x.Seconds:0.0}");
        c.Write(table);
        if (r.Best is { } best)
        {
            c.MarkupLine($"Best: top-1 {best.Top1:P2}" + (best.Drop is double d ? $" ({-d:+0.00;-0.00;0.00} points)" : "") +
                         $", {Format.Bytes(best.Bytes)}, found at trial {best.FoundAtTrial}" + (r.Out is null ? "" : $"; written to {Markup.Escape(Format.Shown(r.Out))}"));
            c.MarkupLine("Reproduce: " + Markup.Escape(best.QuantizeCommand));
        }
    }
}
