using System.Net;
using System.Text;
using static LowBit.Reports.Writers.ReportFormat;

namespace LowBit.Reports.Writers;

/// <summary>
/// The HTML report (<c>index.html</c>): one self-contained file that opens offline. CSS is inline, every figure is an
/// <c>&lt;img src="data:image/png;base64,…"&gt;</c>, there is no script and no link or resource outside the file. All
/// text from models and data is HTML-encoded. Long tables fold into &lt;details&gt; (no script needed).
/// </summary>
internal static class ReportHtml
{
    private const int OpenRows = 20;

    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.45}
        h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
        .sub{color:#666;margin-top:0}
        table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem}
        th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
        th{background:#f4f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
        tr.bad td{background:#fdecea}
        .cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
        .card{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;min-width:12rem;background:#fafbfc}
        .card b{display:block;font-size:.8rem;color:#666;font-weight:600}
        figure{margin:1rem 0}figcaption{color:#555;font-size:.85rem}img{max-width:100%;height:auto;border:1px solid #eee}
        code{background:#f4f6f8;padding:0 .2rem;border-radius:3px}
        .warn li{color:#8a4b00}
        .scroll{overflow-x:auto}.row{display:flex;flex-wrap:wrap;gap:1rem}
        """;

    public static string Write(Report r, IReadOnlyList<Figure> figures)
    {
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html>").AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>").Append(E(r.Title)).AppendLine("</title>");
        sb.Append("<style>").Append(Css).AppendLine("</style></head><body>");
        sb.Append("<h1>").Append(E(r.Title)).AppendLine("</h1>");
        sb.Append("<p class=\"sub\">").Append(E(r.Tool)).Append(r.Created is { } c ? ", " + E(c.ToString("u")) : "").AppendLine("</p>");

        var head = Headline(r);
        if (head.Count > 0)
        {
            sb.AppendLine("<div class=\"cards\">");
            foreach (var (label, value) in head) sb.Append("<div class=\"card\"><b>").Append(E(label)).Append("</b>").Append(E(value)).AppendLine("</div>");
            sb.AppendLine("</div>");
        }
        ReportHtmlSections.Models(sb, r);
        ReportHtmlSections.Fidelity(sb, r);
        sb.AppendLine("<div class=\"row\">");
        Figures(sb, figures.Where(f => f.File is "size.png" or "latency.png"));
        sb.AppendLine("</div>");
        ReportHtmlSections.Algorithm(sb, r);
        ReportHtmlSections.Layers(sb, r, figures);
        if (r.Warnings.Count > 0)
        {
            sb.AppendLine("<h2>Warnings</h2><ul class=\"warn\">");
            foreach (var w in r.Warnings) sb.Append("<li>").Append(E(w)).AppendLine("</li>");
            sb.AppendLine("</ul>");
        }
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    public static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    public static void Figures(StringBuilder sb, IEnumerable<Figure> figures)
    {
        foreach (var f in figures)
            sb.Append("<figure><img alt=\"").Append(E(f.Caption)).Append("\" src=\"data:image/png;base64,")
                .Append(Convert.ToBase64String(f.Png)).Append("\"><figcaption>").Append(E(f.Caption)).AppendLine("</figcaption></figure>");
    }

    /// <summary>A table; rows past <see cref="OpenRows"/> fold into a &lt;details&gt; element. Cells are encoded here;
    /// a cell starting with '#' is right-aligned (numbers). <paramref name="bad"/> marks rows to tint.</summary>
    public static void Table(StringBuilder sb, string[] header, IReadOnlyList<string[]> rows, Func<int, bool>? bad = null)
    {
        void Open()
        {
            sb.Append("<div class=\"scroll\"><table><thead><tr>");
            foreach (var h in header) sb.Append("<th>").Append(E(h)).Append("</th>");
            sb.AppendLine("</tr></thead><tbody>");
        }
        void Row(int i)
        {
            sb.Append(bad?.Invoke(i) == true ? "<tr class=\"bad\">" : "<tr>");
            foreach (var cell in rows[i])
                sb.Append(cell.StartsWith('#') ? "<td class=\"num\">" + E(cell[1..]) : "<td>" + E(cell)).Append("</td>");
            sb.AppendLine("</tr>");
        }
        Open();
        for (int i = 0; i < Math.Min(OpenRows, rows.Count); i++) Row(i);
        sb.AppendLine("</tbody></table></div>");
        if (rows.Count <= OpenRows) return;
        sb.Append("<details><summary>").Append(rows.Count - OpenRows).AppendLine(" more rows</summary>");
        Open();
        for (int i = OpenRows; i < rows.Count; i++) Row(i);
        sb.AppendLine("</tbody></table></div></details>");
    }
}
