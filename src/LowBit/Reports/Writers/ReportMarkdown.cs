using System.Text;
using static LowBit.Reports.Writers.ReportFormat;

namespace LowBit.Reports.Writers;

/// <summary>The Markdown summary (<c>summary.md</c>): headline, fidelity, accuracy, the worst tensors and nodes, and
/// warnings; figures are linked from plots/.</summary>
internal static class ReportMarkdown
{
    public const int Rows = 15;

    public static string Write(Report r, IReadOnlyList<Figure> figures)
    {
        var sb = new StringBuilder();
        sb.Append("# ").AppendLine(Cell(r.Title)).AppendLine();
        sb.Append(r.Tool);
        if (r.Created is { } c) sb.Append(", ").Append(c.ToString("u"));
        sb.AppendLine().AppendLine();
        if (r.FloatModel is { } f) sb.AppendLine($"Float model: `{f.Name}` ({f.Nodes} nodes, {f.Parameters:N0} parameters)  ");
        if (r.QuantizedModel is { } q) sb.AppendLine($"Quantized model: `{q.Name}` ({q.Nodes} nodes)  ");
        if (r.Scheme is { } s)
            sb.AppendLine($"Scheme: {s.Mode}; weights {s.Weights}" + (s.Activations is null ? "" : $"; activations {s.Activations}")
                + $"; {s.QuantizedNodes} nodes quantized, {s.FloatNodes} float  ");
        sb.AppendLine();

        var head = Headline(r);
        if (head.Count > 0)
        {
            Table(sb, ["", ""], head.Select(h => new[] { "**" + h.Label + "**", h.Value }));
        }
        if (r.Fidelity is { } fid)
        {
            sb.AppendLine($"## Fidelity ({fid.TestEngine} vs {fid.ReferenceEngine}, {fid.Samples} samples of {Cell(fid.Data)})").AppendLine();
            Table(sb, ["output", "SQNR", "cosine (mean)", "max abs error", "top-1 agree", "top-5 agree", "KL"],
                fid.Outputs.Select(o => new[] { Code(o.Name), Db(o.SqnrDb), Num(o.CosineMean, "F5"), Num(o.MaxAbsError), Percent(o.Top1Agreement), Percent(o.Top5Agreement), Num(o.KlDivergence) }));
            if (fid.Accuracy is { } a)
                Table(sb, ["", "top-1", "top-5"],
                [
                    ["float", Percent(a.Reference.Top1), Percent(a.Reference.Top5)],
                    ["quantized", Percent(a.Test.Top1), Percent(a.Test.Top5)],
                    ["change", Points(a.Top1Delta), a.Top5Delta is double d5 ? Points(d5) : "–"],
                ]);
        }
        if (r.Algorithm is { } alg)
        {
            sb.AppendLine($"## Weight algorithm: {Cell(alg.Algorithm)}").AppendLine();
            sb.AppendLine("Each layer's relative output error ‖X̃W̃ᵀ − XWᵀ‖²/‖XWᵀ‖² on calibration inputs, round to nearest against the algorithm.").AppendLine();
            Table(sb, ["weight", "round to nearest", alg.Algorithm, "summary"],
                alg.Layers.Select(l => new[] { Code(l.Weight), Num(l.ErrorNearest), Num(l.ErrorAlgorithm), Cell(l.Summary) }));
        }
        if (r.Layers is { } lc)
        {
            sb.AppendLine($"## Per-tensor error ({lc.Samples} samples, worst {Math.Min(Rows, lc.Layers.Count)} of {lc.Layers.Count})").AppendLine();
            sb.AppendLine($"Output SQNR with all Q/DQ, over the {lc.Samples} samples: {Db(lc.OutputSqnrDb)}").AppendLine();
            Table(sb, ["tensor", "kind", "node", "op", "format", "SQNR", "SQNR before Q", "cosine", "float range"],
                lc.Layers.Take(Rows).Select(l => new[]
                {
                    Code(l.Tensor), l.Kind, Cell(l.Node ?? "–"), l.OpType ?? "–", l.Format?.ToString() ?? "float", Db(l.SqnrDb),
                    Db(l.SqnrBeforeQuantizationDb), Num(l.Cosine, "F5"), $"[{Num(l.FloatMin)}, {Num(l.FloatMax)}]",
                }));
            if (lc.Attribution is { Count: > 0 } attr)
            {
                sb.AppendLine($"## Error attribution (first {lc.AttributionSamples} samples; output SQNR with all Q/DQ on them: {Db(lc.AttributionOutputSqnrDb)})").AppendLine();
                Table(sb, ["node", "op", "output SQNR (only this node quantized)", "share of output noise"],
                    attr.Take(Rows).Select(a => new[] { Cell(a.Node), a.OpType, Db(a.OutputSqnrDb), Percent(a.NoiseShare) }));
            }
            if (lc.KeepInHigherPrecision.Count > 0)
                sb.AppendLine("**Keep in higher precision** (exclude from quantization): " + string.Join(", ", lc.KeepInHigherPrecision.Select(Code))).AppendLine();
        }
        if (figures.Count > 0)
        {
            sb.AppendLine("## Figures").AppendLine();
            foreach (var fig in figures) sb.AppendLine($"![{Cell(fig.Caption)}](plots/{fig.File})").AppendLine();
        }
        if (r.Warnings.Count > 0)
        {
            sb.AppendLine("## Warnings").AppendLine();
            foreach (var w in r.Warnings) sb.Append("- ").AppendLine(Cell(w));
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, string[] header, IEnumerable<string[]> rows)
    {
        sb.Append("| ").Append(string.Join(" | ", header.Select(Cell))).AppendLine(" |");
        sb.Append('|').Append(string.Concat(header.Select(_ => " --- |"))).AppendLine();
        foreach (var row in rows) sb.Append("| ").Append(string.Join(" | ", row)).AppendLine(" |");
        sb.AppendLine();
    }

    /// <summary>Text safe inside a table cell: pipes escaped, line breaks flattened.</summary>
    private static string Cell(string s) => s.Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");

    private static string Code(string s) => "`" + s.Replace("`", "'").Replace("|", "\\|") + "`";
}
