using System.Globalization;
using System.Net;
using System.Text;
using LowBit.Quantization;
using ScottPlot;

namespace LowBit.Cli.Demo;

/// <summary>
/// The demo's overview page (<c>index.html</c>): one self-contained file (inline CSS, figures as base64 PNG data URIs, no
/// script, no external resource); each scheme links to its full report in a subfolder.
/// </summary>
internal static class DemoHtml
{
    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.45}
        table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.92rem}th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left}
        th{background:#f4f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}.sub{color:#666}
        code{background:#f4f6f8;padding:0 .2rem;border-radius:3px}img{max-width:100%;border:1px solid #eee}.row{display:flex;flex-wrap:wrap;gap:1rem}
        .warn li{color:#8a4b00}
        """;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Write(DemoResult r, QuantManifest main)
    {
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>LowBit demo</title>");
        sb.Append("<style>").Append(Css).AppendLine("</style></head><body>");
        sb.Append("<h1>LowBit demo: ").Append(E(Path.GetFileName(r.Model))).AppendLine("</h1>");
        sb.Append("<p class=\"sub\">").Append(E($"{r.Data}; {r.CalibrationSamples} calibration images, accuracy on {r.EvalSamples} other images; " +
            $"ONNX Runtime from the exported files, {r.Threads} thread{(r.Threads == 1 ? "" : "s")}, batch 1, latency medians of ≥ {r.LatencyRuns} interleaved runs; {r.Seconds:0.0} s")).AppendLine("</p>");
        sb.Append("<p>").Append(E($"CPU {r.Cpu}: {(r.ReduceRange ? "7-bit weights (reduce-range)" : "full 8-bit weights")} — {r.CpuDecision}")).AppendLine("</p>");
        sb.AppendLine("<table><thead><tr><th>scheme</th><th>file size</th><th>× FP32</th><th>top-1 accuracy</th><th>Δ vs FP32</th><th>top-1 agreement</th>" +
                      "<th>ONNX Runtime latency</th><th>× FP32</th><th>report</th></tr></thead><tbody>");
        foreach (var row in r.Rows)
        {
            sb.Append("<tr><td>").Append(E(row.Scheme)).Append("<br><code>").Append(E(row.Flags)).Append("</code></td>");
            Num(sb, $"{row.FileBytes / 1024.0:0.0} KiB");
            Num(sb, $"{row.SizeRatio:0.000}");
            Num(sb, $"{100 * row.Accuracy:0.00} %");
            Num(sb, row.Id == "fp32" ? "–" : $"{100 * row.AccuracyDelta:+0.00;−0.00;0.00} points");
            Num(sb, row.Top1Agreement is double a ? $"{100 * a:0.00} %" : "–");
            Num(sb, $"{row.LatencyMs.ToString("0.000", Inv)} ms");
            Num(sb, $"{row.LatencyRatio:0.00}");
            sb.Append("<td>").Append(row.Report is string page ? $"<a href=\"{E(Link(r, page))}\">details</a>" : "").AppendLine("</td></tr>");
        }
        sb.AppendLine("</tbody></table>");
        sb.AppendLine("<div class=\"row\">");
        Figure(sb, "Top-1 accuracy (%)", Bars(r, "Top-1 accuracy", "%", x => 100 * x.Accuracy, "0.00"));
        Figure(sb, "ONNX Runtime latency (ms, batch 1)", Bars(r, "ONNX Runtime latency", "ms", x => x.LatencyMs, "0.000"));
        Figure(sb, "File size (KiB)", Bars(r, "File size", "KiB", x => x.FileBytes / 1024.0, "0"));
        sb.AppendLine("</div>");
        sb.Append("<p>").Append(E($"Each scheme's report (fidelity, per-layer SQNR, error attribution, which layers to keep in higher precision) is in its folder; " +
            $"the models are in models/ with their manifests. The W8A8 model keeps {main.Nodes.Count(n => !n.Quantized)} of {main.Nodes.Count} nodes float.")).AppendLine("</p>");
        if (r.Warnings.Count > 0)
        {
            sb.AppendLine("<h2>Warnings</h2><ul class=\"warn\">");
            foreach (var w in r.Warnings) sb.Append("<li>").Append(E(w)).AppendLine("</li>");
            sb.AppendLine("</ul>");
        }
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    private static void Num(StringBuilder sb, string text) => sb.Append("<td class=\"num\">").Append(E(text)).Append("</td>");

    private static void Figure(StringBuilder sb, string caption, byte[] png) =>
        sb.Append("<figure><img alt=\"").Append(E(caption)).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png))
            .Append("\"><figcaption>").Append(E(caption)).AppendLine("</figcaption></figure>");

    /// <summary>One bar per scheme, labelled with its value.</summary>
    private static byte[] Bars(DemoResult r, string title, string unit, Func<DemoRow, double> value, string format)
    {
        using var plt = new Plot();
        var bars = r.Rows.Select((row, i) => new Bar
        {
            Position = i, Value = value(row), Label = value(row).ToString(format, Inv),
            FillColor = i == 0 ? Color.FromHex("#4C78A8") : Color.FromHex("#54A24B"), LineWidth = 0,
        }).ToList();
        plt.Add.Bars(bars);
        plt.Axes.Bottom.SetTicks(r.Rows.Select((_, i) => (double)i).ToArray(), r.Rows.Select(x => x.Scheme.Replace(" ", "\n")).ToArray());
        plt.Axes.Margins(left: 0.05, right: 0.05, bottom: 0, top: 0.15);
        plt.Title(title);
        plt.YLabel(unit);
        return plt.GetImageBytes(520, 340, ImageFormat.Png);
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A scheme's report page relative to the overview page (both absolute in the result), with '/' separators.</summary>
    private static string Link(DemoResult r, string page) =>
        Path.GetRelativePath(Path.GetDirectoryName(r.Report) ?? ".", page).Replace('\\', '/');
}
