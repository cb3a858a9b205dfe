using System.Globalization;
using LowBit.Cli.Support;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>Human output of <c>lowbit compare</c>: the per-tensor table, the attribution table, the suggestion.</summary>
internal static class ComparePrinter
{
    public static void Print(IAnsiConsole c, CompareResult r, int rows)
    {
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/] against [bold]{Markup.Escape(Format.Shown(r.Reference))}[/] on {Markup.Escape(r.Dataset)} " +
                     $"({r.Samples:N0} samples), {r.Seconds:0.0} s" + (r.OutputSqnrDb is double o ? $": output SQNR [bold]{Db(o)}[/]" : ""));
        var t = new Table().Border(TableBorder.Rounded).Title("per-tensor error, worst first (SQNR of the quantized value against the float one)")
            .AddColumn("tensor").AddColumn("kind").AddColumn("op").AddColumn("format").AddColumn(new TableColumn("float range").RightAligned())
            .AddColumn(new TableColumn("quant range").RightAligned()).AddColumn(new TableColumn("SQNR").RightAligned())
            .AddColumn(new TableColumn("in (upstream)").RightAligned()).AddColumn(new TableColumn("cosine").RightAligned());
        foreach (var l in r.Layers.Take(rows))
            t.AddRow(Markup.Escape(Short(l.Tensor)), l.Kind, Markup.Escape(l.Op ?? "-"), Markup.Escape(l.Format ?? "float"),
                $"{N(l.FloatMin)} … {N(l.FloatMax)}", l.ClipMin is double lo && l.ClipMax is double hi ? $"{N(lo)} … {N(hi)}" : "-",
                Db(l.SqnrDb), l.SqnrBeforeDb is double b ? Db(b) : "-", l.Cosine.ToString("0.00000", CultureInfo.InvariantCulture));
        c.Write(t);
        MoreRows(c, r.Layers.Count, rows);
        if (r.Attribution is { Count: > 0 } attr)
        {
            // Attribution runs on a subset: its rows compare with the all-quantized SQNR on that subset, not the headline.
            var a = new Table().Border(TableBorder.Rounded).Title($"error attribution on the first {r.AttributionSamples} samples: only this node quantized")
                .Caption($"all quantized, on these samples: output SQNR {(r.AttributionOutputSqnrDb is double all ? Db(all) : "-")}")
                .AddColumn("node").AddColumn("op").AddColumn(new TableColumn("output SQNR").RightAligned())
                .AddColumn(new TableColumn("output cosine").RightAligned()).AddColumn(new TableColumn("share of output noise").RightAligned());
            foreach (var x in attr.Take(rows))
                a.AddRow(Markup.Escape(x.Node), Markup.Escape(x.Op), Db(x.OutputSqnrDb), x.OutputCosine.ToString("0.00000", CultureInfo.InvariantCulture),
                    (100 * x.NoiseShare).ToString("0.0", CultureInfo.InvariantCulture) + " %");
            c.Write(a);
            MoreRows(c, attr.Count, rows);
        }
        if (r.ExcludeFlags is string flags)
        {
            c.MarkupLine("Keep in higher precision (the fewest nodes carrying half of the output noise); add to lowbit quantize:");
            c.WriteLine("  " + flags);
        }
        if (r.Report is string html) c.MarkupLine($"Report: {Markup.Escape(html)}");
    }

    private static void MoreRows(IAnsiConsole c, int count, int shown)
    {
        if (count > shown) c.MarkupLine($"[grey]… {count - shown} more row{(count - shown == 1 ? "" : "s")} (--rows N, or --json for all)[/]");
    }

    private static string Db(double v) => double.IsPositiveInfinity(v) ? "exact" : double.IsNegativeInfinity(v) ? "-∞ dB"
        : double.IsNaN(v) ? "NaN" : v.ToString("0.0", CultureInfo.InvariantCulture) + " dB";

    private static string N(double v) => Format.Number(Math.Abs(v) >= 100 ? Math.Round(v, 1) : Math.Round(v, 4));

    private static string Short(string s) => s.Length <= 48 ? s : s[..22] + "…" + s[^23..];
}
