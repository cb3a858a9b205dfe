using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Reports.Plots;

namespace LowBit.Reports.Writers;

/// <summary>
/// Everything one quantization report says. Every section is optional; fill the ones you have with the
/// <c>With…</c> methods (each returns a new report) and call <see cref="Write"/>:
/// <code>
/// new Report()
///     .WithModels(floatGraph, "model.onnx", quantized.Graph, "model.q.onnx")
///     .WithManifest(quantized.Manifest)
///     .WithFidelity(Fidelity.Evaluate(...))
///     .WithLayers(LayerComparison.Run(...))
///     .WithLatency(new LatencyComparison("ort", 2, 1, 50, 12.1, 5.3))
///     .Write("report/");
/// </code>
/// </summary>
public sealed record Report
{
    public string Title { get; init; } = "LowBit quantization report";
    public string Tool { get; init; } = LowBitVersion.Tool;
    /// <summary>When the report was made (null leaves it out, for reproducible files).</summary>
    public DateTimeOffset? Created { get; init; } = DateTimeOffset.UtcNow;
    public ModelInfo? FloatModel { get; init; }
    public ModelInfo? QuantizedModel { get; init; }
    public SchemeInfo? Scheme { get; init; }
    public CalibrationSettings? Calibration { get; init; }
    public CpuNotes? Cpu { get; init; }
    public SizeComparison? Size { get; init; }
    public FidelityReport? Fidelity { get; init; }
    public LatencyComparison? Latency { get; init; }
    public LayerComparisonResult? Layers { get; init; }
    public AlgorithmSection? Algorithm { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Both models, and the size comparison: file sizes when both paths exist, else stored weight bytes.</summary>
    public Report WithModels(Graph.Graph floatModel, string? floatPath, Graph.Graph quantized, string? quantizedPath)
    {
        var f = ModelInfo.Of(floatModel, floatPath);
        var q = ModelInfo.Of(quantized, quantizedPath);
        var size = f.FileBytes is long fb && q.FileBytes is long qb
            ? new SizeComparison(fb, qb, "file")
            : new SizeComparison(f.InitializerBytes, q.InitializerBytes, "initializers");
        return this with { FloatModel = f, QuantizedModel = q, Size = size };
    }

    /// <summary>Scheme, calibration, CPU decision, kernel notes and the quantizer's warnings from its manifest.</summary>
    public Report WithManifest(QuantManifest m)
    {
        var c = m.Config;
        string weights = $"{c.Weights.Format} {c.Weights.Granularity} {c.Weights.Scheme}";
        string? acts = c.Activations is { } a ? $"{a.Format} {a.Scheme}, observer {a.Observer}" : null;
        var floatNodes = m.Nodes.Where(n => !n.Quantized).ToList();
        var scheme = new SchemeInfo(c.Mode, weights, acts, m.Cpu.ReduceRange, m.Export.Opset, m.Nodes.Count(n => n.Quantized), floatNodes.Count,
            c.ExcludeNodes, c.ExcludeOpTypes,
            floatNodes.Where(n => n.Reason is not null).Select(n => $"{n.Name} ({n.OpType}): {n.Reason}").ToList());
        var kernel = new List<string> { $"export opset {m.Export.Opset}: {m.Export.OpsetReason}" };
        kernel.AddRange(m.Export.UpgradeNotes);
        if (m.Export.MatMulNBitsNodes.Count > 0)
            kernel.Add($"{m.Export.MatMulNBitsNodes.Count} MatMul/Gemm nodes exported as com.microsoft MatMulNBits (4-bit kernel)");
        var calibration = m.Calibration is { } cal ? new CalibrationSettings(cal.Samples, cal.Observer, cal.DataKey, cal.Cache, cal.Warnings) : null;
        var algorithm = c.Algorithm is { } alg
            ? new AlgorithmSection(alg.Name + (alg.BiasCorrection == "none" ? "" : $" + bias correction ({alg.BiasCorrection})"),
                m.Tensors.Where(t => t.Algorithm is not null).Select(t => new AlgorithmLayer(t.Name, t.Algorithm!.Summary, t.Algorithm.ErrorNearest, t.Algorithm.ErrorAlgorithm)).ToList())
            : null;
        return this with
        {
            Algorithm = algorithm,
            Scheme = scheme,
            Calibration = calibration,
            Cpu = new CpuNotes(m.Cpu.Cpu, m.Cpu.U8S8Saturates, m.Cpu.ReduceRange, m.Cpu.Reason, kernel),
            Warnings = [.. Warnings, .. m.Warnings.Where(w => !Warnings.Contains(w))],
        };
    }

    public Report WithFidelity(FidelityReport fidelity) =>
        this with { Fidelity = fidelity, Warnings = [.. Warnings, .. fidelity.Warnings] };

    public Report WithLayers(LayerComparisonResult layers) =>
        this with { Layers = layers, Warnings = [.. Warnings, .. layers.Warnings] };

    public Report WithLatency(LatencyComparison latency) => this with { Latency = latency };

    /// <summary>Worst activations whose histograms are plotted.</summary>
    public const int HistogramPlots = 4;

    /// <summary>
    /// Writes <c>report.json</c>, <c>summary.md</c>, <c>index.html</c> (self-contained: inline CSS, figures embedded as
    /// base64 PNG data URIs, no scripts, no external links) and the figures under <c>plots/</c> into
    /// <paramref name="directory"/> (created if needed). Each file is written to a temporary sibling and renamed, so
    /// an existing report is never left half-written; index.html is committed last.
    /// </summary>
    public ReportFiles Write(string directory)
    {
        string dir = Path.GetFullPath(directory);
        Directory.CreateDirectory(dir);
        var figures = Figures();
        var plotPaths = new List<string>();
        foreach (var fig in figures)
        {
            string p = Path.Combine(dir, "plots", fig.File);
            AtomicFile.WriteAllBytes(p, fig.Png);
            plotPaths.Add(p);
        }
        string json = Path.Combine(dir, "report.json"), md = Path.Combine(dir, "summary.md"), html = Path.Combine(dir, "index.html");
        AtomicFile.WriteAllText(json, ReportJson.Write(this));
        AtomicFile.WriteAllText(md, ReportMarkdown.Write(this, figures));
        AtomicFile.WriteAllText(html, ReportHtml.Write(this, figures));
        RemoveStalePlots(Path.Combine(dir, "plots"), figures);
        return new ReportFiles(dir, json, html, md, plotPaths);
    }

    /// <summary>Deletes figures an earlier report in the same directory wrote and this one does not have (only file
    /// names this class writes; anything else in plots/ is left alone).</summary>
    private static void RemoveStalePlots(string plots, IReadOnlyList<Figure> figures)
    {
        if (!Directory.Exists(plots)) return;
        var current = new HashSet<string>(figures.Select(f => f.File), StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(plots, "*.png"))
        {
            string name = Path.GetFileName(path);
            bool ours = name is "size.png" or "latency.png" or "layer-sqnr.png" or "attribution.png"
                || System.Text.RegularExpressions.Regex.IsMatch(name, "^histogram-[0-9]+\\.png$");
            if (ours && !current.Contains(name)) File.Delete(path);
        }
    }

    /// <summary>Reads a <c>report.json</c> back.</summary>
    public static Report Read(string path) => ReportJson.Read(File.ReadAllText(path), path);

    /// <summary>The figures this report has data for (file name under plots/, caption, PNG bytes).</summary>
    public IReadOnlyList<Figure> Figures()
    {
        var list = new List<Figure>();
        if (Size is { } s && s.BytesBefore > 0)
            list.Add(new("size.png", $"Model size ({s.Basis})", ReportPlots.BeforeAfter("Model size", "MiB", s.BytesBefore / 1048576.0, s.BytesAfter / 1048576.0)));
        if (Latency is { } l && l.BeforeMs > 0)
            list.Add(new("latency.png", $"Latency ({l.Engine}, {l.Threads} thread{(l.Threads == 1 ? "" : "s")}, batch {l.Batch})",
                ReportPlots.BeforeAfter("Latency", "ms", l.BeforeMs, l.AfterMs)));
        if (Layers is { Layers.Count: > 0 } lc)
            list.Add(new("layer-sqnr.png", "Per-tensor SQNR, worst first", ReportPlots.LayerSqnr(lc.Layers)));
        if (Layers?.Attribution is { Count: > 0 } attr)
            list.Add(new("attribution.png", "Error attribution: output SQNR with only one node quantized", ReportPlots.Attribution(attr)));
        int k = 0;
        foreach (var a in Layers?.WorstActivations(int.MaxValue) ?? [])
        {
            if (a.Histogram is null) continue;
            if (k == HistogramPlots) break;
            list.Add(new($"histogram-{++k}.png", $"Float values of {a.Tensor} with the quantization range", ReportPlots.ActivationHistogram(a)));
        }
        return list;
    }
}

/// <summary>One report figure: file name under plots/, caption, PNG bytes.</summary>
public sealed record Figure(string File, string Caption, byte[] Png);
