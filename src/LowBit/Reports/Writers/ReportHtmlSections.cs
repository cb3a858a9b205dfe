using System.Text;
using static LowBit.Reports.Writers.ReportFormat;
using static LowBit.Reports.Writers.ReportHtml;

namespace LowBit.Reports.Writers;

/// <summary>The HTML report's sections (models and scheme, fidelity and accuracy, per-layer error).</summary>
internal static class ReportHtmlSections
{
    public static void Models(StringBuilder sb, Report r)
    {
        if (r.FloatModel is null && r.QuantizedModel is null && r.Scheme is null && r.Cpu is null) return;
        sb.AppendLine("<h2>Models and scheme</h2>");
        var models = new[] { ("float", r.FloatModel), ("quantized", r.QuantizedModel) }.Where(m => m.Item2 is not null).ToList();
        if (models.Count > 0)
            Table(sb, ["", "file", "opset", "nodes", "parameters", "weights", "file size", "inputs", "outputs"],
                models.Select(m => new[]
                {
                    m.Item1, m.Item2!.Name, "#" + m.Item2.Opset, "#" + m.Item2.Nodes, "#" + m.Item2.Parameters.ToString("N0"),
                    "#" + Bytes(m.Item2.InitializerBytes), m.Item2.FileBytes is long fb ? "#" + Bytes(fb) : "–",
                    string.Join("; ", m.Item2.Inputs), string.Join("; ", m.Item2.Outputs),
                }).ToList());
        var facts = new List<string[]>();
        if (r.Scheme is { } s)
        {
            facts.Add(["mode", s.Mode]);
            facts.Add(["weights", s.Weights]);
            if (s.Activations is not null) facts.Add(["activations", s.Activations]);
            facts.Add(["nodes", $"{s.QuantizedNodes} quantized, {s.FloatNodes} float"]);
            if (s.ExcludedNodes.Count + s.ExcludedOpTypes.Count > 0) facts.Add(["excluded", string.Join(", ", s.ExcludedNodes.Concat(s.ExcludedOpTypes))]);
            facts.Add(["export opset", s.ExportOpset.ToString()]);
        }
        if (r.Calibration is { } c)
            facts.Add(["calibration", $"{c.Samples} samples, observer {c.Observer}" + (c.Data is null ? "" : $", data {c.Data}") + $", cache {c.Cache}"]);
        if (r.Cpu is { } cpu)
        {
            facts.Add(["CPU", cpu.Cpu]);
            facts.Add(["CPU decision", (cpu.ReduceRange ? "reduce-range (7-bit weights): " : "") + cpu.Decision]);
            foreach (var k in cpu.KernelNotes) facts.Add(["kernels", k]);
        }
        if (facts.Count > 0) Table(sb, ["setting", "value"], facts);
        if (r.Scheme is { FloatReasons.Count: > 0 } fs)
            Table(sb, ["kept in float"], fs.FloatReasons.Select(x => new[] { x }).ToList());
    }

    public static void Fidelity(StringBuilder sb, Report r)
    {
        if (r.Fidelity is not { } f) return;
        sb.Append("<h2>Fidelity</h2><p>").Append(E($"{f.TestEngine} (quantized) against {f.ReferenceEngine} (float) on {f.Samples} samples of {f.Data}."))
            .AppendLine("</p>");
        Table(sb, ["output", "SQNR", "cosine (mean)", "cosine (global)", "max |error|", "top-1 agreement", "top-5 agreement", "KL (nats)"],
            f.Outputs.Select(o => new[]
            {
                o.Name, "#" + Db(o.SqnrDb), "#" + Num(o.CosineMean, "F5"), "#" + Num(o.CosineGlobal, "F5"), "#" + Num(o.MaxAbsError),
                "#" + Percent(o.Top1Agreement), "#" + Percent(o.Top5Agreement), "#" + Num(o.KlDivergence),
            }).ToList());
        if (f.Accuracy is not { } a) return;
        sb.AppendLine("<h2>Accuracy</h2>");
        Table(sb, ["model", "top-1", "top-5"],
        [
            ["float", "#" + Percent(a.Reference.Top1), "#" + Percent(a.Reference.Top5)],
            ["quantized", "#" + Percent(a.Test.Top1), "#" + Percent(a.Test.Top5)],
            ["change", "#" + Points(a.Top1Delta), "#" + (a.Top5Delta is double d ? Points(d) : "–")],
        ]);
        var classes = a.Reference.PerClass.Zip(a.Test.PerClass)
            .Select(p => new[] { p.First.Name, "#" + p.First.Samples, "#" + Percent(p.First.Top1), "#" + Percent(p.Second.Top1), "#" + Points(p.Second.Top1 - p.First.Top1) })
            .ToList();
        var delta = a.Reference.PerClass.Zip(a.Test.PerClass).Select(p => p.Second.Top1 - p.First.Top1).ToList();
        sb.AppendLine("<h3>Per class</h3>");
        Table(sb, ["class", "samples", "float top-1", "quantized top-1", "change"], classes, i => delta[i] < -0.02);
    }

    public static void Algorithm(StringBuilder sb, Report r)
    {
        if (r.Algorithm is not { } alg) return;
        sb.Append("<h2>Weight algorithm: ").Append(E(alg.Algorithm)).Append("</h2><p>")
            .Append(E("Each layer's relative output error ‖X̃W̃ᵀ − XWᵀ‖²/‖XWᵀ‖² on the captured calibration inputs (X̃: the input in the quantized model), with round to nearest and with the algorithm."))
            .AppendLine("</p>");
        Table(sb, ["weight", "round to nearest", alg.Algorithm, "summary"],
            alg.Layers.Select(l => new[] { l.Weight, "#" + Num(l.ErrorNearest), "#" + Num(l.ErrorAlgorithm), l.Summary }).ToList(),
            i => alg.Layers[i].ErrorAlgorithm > alg.Layers[i].ErrorNearest);
    }

    public static void Layers(StringBuilder sb, Report r, IReadOnlyList<Figure> figures)
    {
        if (r.Layers is not { } lc) return;
        sb.Append("<h2>Per-tensor error</h2><p>").Append(E(
            $"{lc.Samples} samples, output SQNR {Db(lc.OutputSqnrDb)}. Each tensor of the quantized model against the float model; \"SQNR before Q\" is the error arriving from upstream, the drop to SQNR is this tensor's own rounding and clipping."))
            .AppendLine("</p>");
        Figures(sb, figures.Where(f => f.File == "layer-sqnr.png"));
        Table(sb, ["tensor", "kind", "node", "op", "format", "scale", "SQNR", "SQNR before Q", "cosine", "max |error|", "float range", "clip range"],
            lc.Layers.Select(l => new[]
            {
                l.Tensor, l.Kind, l.Node ?? "–", l.OpType ?? "–", l.Format?.ToString() ?? "float",
                l.Format is { ScaleMin: double a, ScaleMax: double b } ? "#" + (a == b ? Num(a) : $"{Num(a)}…{Num(b)}") : "–",
                "#" + Db(l.SqnrDb), "#" + Db(l.SqnrBeforeQuantizationDb), "#" + Num(l.Cosine, "F5"), "#" + Num(l.MaxAbsError),
                $"[{Num(l.FloatMin)}, {Num(l.FloatMax)}]", l.Format is { ClipMin: double lo, ClipMax: double hi } ? $"[{Num(lo)}, {Num(hi)}]" : "–",
            }).ToList(), i => i < 5 && lc.Layers[i].Kind != "float");
        if (lc.Attribution is { Count: > 0 } attr)
        {
            sb.Append("<h2>Error attribution</h2><p>").Append(E(
                $"Model-output SQNR when only one node's inputs stay quantized and every other Q/DQ is bypassed, on the first {lc.AttributionSamples} samples (all quantized, on these samples: {Db(lc.AttributionOutputSqnrDb)}). The lowest values mark the layers that cost the most accuracy."))
                .AppendLine("</p>");
            Figures(sb, figures.Where(f => f.File == "attribution.png"));
            Table(sb, ["node", "op", "quantized inputs", "output SQNR", "cosine", "share of output noise"],
                attr.Select(a => new[] { a.Node, a.OpType, string.Join(", ", a.Tensors), "#" + Db(a.OutputSqnrDb), "#" + Num(a.OutputCosine, "F5"), "#" + Percent(a.NoiseShare) }).ToList(),
                i => lc.KeepInHigherPrecision.Contains(attr[i].Node));
        }
        if (lc.KeepInHigherPrecision.Count > 0)
            sb.Append("<p><b>Keep in higher precision</b> (exclude these nodes from quantization): ")
                .Append(string.Join(", ", lc.KeepInHigherPrecision.Select(n => "<code>" + E(n) + "</code>"))).AppendLine("</p>");
        var hist = figures.Where(f => f.File.StartsWith("histogram-", StringComparison.Ordinal)).ToList();
        if (hist.Count > 0)
        {
            sb.AppendLine("<h2>Value distributions of the worst activations</h2>");
            Figures(sb, hist);
        }
        if (lc.Unmatched.Count > 0)
        {
            sb.AppendLine("<details><summary>Quantized tensors not compared</summary><ul>");
            foreach (var u in lc.Unmatched) sb.Append("<li>").Append(E(u)).AppendLine("</li>");
            sb.AppendLine("</ul></details>");
        }
    }
}
