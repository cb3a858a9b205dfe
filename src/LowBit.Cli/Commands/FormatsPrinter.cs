using System.Globalization;
using LowBit.Cli.Support;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>Human output of <c>lowbit formats</c>: a header, the float row, one row per format (a refused one with its
/// reason in the last column), and what the figures are.</summary>
internal static class FormatsPrinter
{
    public static void Print(IAnsiConsole c, FormatsResult r)
    {
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/]: weight formats, round to nearest, on {Markup.Escape(r.Dataset)} " +
                     $"({r.EvalSamples:N0} samples), ONNX Runtime, {r.Threads} thread{(r.Threads == 1 ? "" : "s")}, {r.Seconds:0.0} s");
        // A language model's task metric is perplexity (lower is better); a classifier's top-1 accuracy.
        bool lm = r.FloatPerplexity is not null;
        var t = new Table().Border(TableBorder.Rounded).AddColumn("format").AddColumn("mode");
        foreach (var h in new[] { "bits/weight", "file size", "× float", "weight SQNR", "output SQNR", "cosine", "top-1 agree", lm ? "perplexity" : "accuracy", "Δ vs float", "ORT ms", "× float" })
            t.AddColumn(new TableColumn(h).RightAligned());
        t.AddColumn("note");
        t.AddRow("float32", "-", "32", Format.Bytes(r.FloatBytes), "1.000", "-", "-", "-", "-", lm ? N(r.FloatPerplexity, "0.000") : Pct(r.FloatAccuracy), "-",
            r.FloatLatencyMs is double f ? Format.Ms(f) : "-", r.FloatLatencyMs is null ? "-" : "1.00", "");
        foreach (var x in r.Rows)
        {
            string mode = x.Mode == "static" ? "W8A8 static" : $"{x.Scheme} {x.Granularity}";
            if (!x.Ok)
            {
                t.AddRow(Markup.Escape(x.Format), Markup.Escape(mode), "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "[yellow]" + Markup.Escape(x.Error!) + "[/]");
                continue;
            }
            t.AddRow(Markup.Escape(x.Format), Markup.Escape(mode), x.BitsPerWeight is double b ? b.ToString("0.00", CultureInfo.InvariantCulture) : "-",
                Format.Bytes(x.FileBytes!.Value), N(x.SizeRatio, "0.000"), Db(x.WeightSqnrDb), Db(x.OutputSqnrDb), N(x.OutputCosine, "0.00000"),
                Pct(x.Top1Agreement), lm ? N(x.Perplexity, "0.000") : Pct(x.Accuracy), Delta(x, r.FloatPerplexity),
                x.LatencyMs is double ms ? Format.Ms(ms) : "-", N(x.LatencyRatio, "0.00"), "");
        }
        c.Write(t);
        c.MarkupLine("bits/weight: stored bytes of the quantized weights (codes, scales, zero points, tables) ·8 / their count; " +
                     "weight SQNR over all quantized weights; output SQNR, cosine, agreement and accuracy of each file against the float file" +
                     (r.LatencyRuns is int n ? $"; latency: median of ≥ {n} interleaved batch-1 runs per file" : ""));
        if (r.Kept is string k) c.MarkupLine($"Files: {Markup.Escape(k)}");
    }

    /// <summary>The per-format progress line on stderr.</summary>
    public static string Summary(FormatRow x) => !x.Ok ? "not measured: " + x.Error
        : $"{(x.BitsPerWeight is double b ? b.ToString("0.00", CultureInfo.InvariantCulture) : "-")} bits/weight, weight SQNR {Db(x.WeightSqnrDb)}, " +
          $"output SQNR {Db(x.OutputSqnrDb)}" + (x.Accuracy is double a ? $", accuracy {Pct(a)}" : "") + (x.Perplexity is double p ? $", perplexity {N(p, "0.000")}" : "");

    private static string Delta(FormatRow x, double? floatPerplexity) =>
        floatPerplexity is double f && x.Perplexity is double p ? (p - f).ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture)
        : x.AccuracyDelta is double d ? $"{100 * d:+0.00;-0.00;0.00} pts" : "-";

    private static string Pct(double? v) => v is double d ? (100 * d).ToString("0.00", CultureInfo.InvariantCulture) + " %" : "-";

    private static string N(double? v, string format) => v is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Db(double? v) => v switch
    {
        null => "-",
        double d when double.IsPositiveInfinity(d) => "exact",
        double d when double.IsNaN(d) => "NaN",
        double d => d.ToString("0.0", CultureInfo.InvariantCulture) + " dB",
    };
}
