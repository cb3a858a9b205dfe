using System.Text.Json;
using System.Text.RegularExpressions;
using LowBit.Quantization;
using LowBit.Reports;
using LowBit.Reports.Writers;
using LowBit.Runtime;
using LowBit.Tests.Quantization;
using LowBit.Tests.Reports.Plots;
using static LowBit.Tests.Reports.ReportTestModels;

namespace LowBit.Tests.Reports.Writers;

public sealed class ReportTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "lowbit-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>A report with every section, from the real quantizer on the ConvNet and the hand-made MLP data.</summary>
    private static Report Full()
    {
        var g = QuantTestModels.ConvNet();
        var data = QuantTestModels.RandomData(g, 6, batch: 2);
        var q = Quantizer.Quantize(g, new QuantizerConfig(), data);
        var one = new SessionOptions { Threads = 1 };
        var fidelity = Fidelity.Evaluate(ModelRunner.LowBit(q.Graph, one), ModelRunner.LowBit(g, one),
            data.Select(d => new EvalBatch(d, null)), "random", options: new FidelityOptions());
        var layers = LayerComparison.Run(g, q.Graph, data, new LayerComparisonOptions { Threads = 1, Attribution = true, AttributionBatches = 2 });
        return new Report { Created = null }
            .WithModels(g, null, q.Graph, null)
            .WithManifest(q.Manifest)
            .WithFidelity(fidelity)
            .WithLayers(layers)
            .WithLatency(new LatencyComparison("ort", 2, 1, 20, 3.2, 1.6));
    }

    [Fact]
    public void Write_FullReport_WritesAllFilesAndNoTemporaries()
    {
        var files = Full().Write(dir);
        foreach (var f in new[] { files.Json, files.Html, files.Markdown }.Concat(files.Plots)) Assert.True(File.Exists(f), f);
        Assert.Contains(files.Plots, p => p.EndsWith("layer-sqnr.png"));
        Assert.Contains(files.Plots, p => p.EndsWith("attribution.png"));
        Assert.Contains(files.Plots, p => p.EndsWith("histogram-1.png"));
        Assert.Contains(files.Plots, p => p.EndsWith("size.png"));
        Assert.Contains(files.Plots, p => p.EndsWith("latency.png"));
        foreach (var p in files.Plots) ReportPlotsTests.AssertPng(File.ReadAllBytes(p));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Write_Html_IsSelfContained()
    {
        var report = Full();
        var files = report.Write(dir);
        string html = File.ReadAllText(files.Html);
        int images = Regex.Matches(html, "<img [^>]*src=\"data:image/png;base64,[A-Za-z0-9+/=]+\"").Count;
        Assert.Equal(report.Figures().Count, images);
        Assert.Equal(images, Regex.Matches(html, "<img ").Count);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html);
        Assert.Matches(Regex.Escape("<style>"), html);
        Assert.Contains("Keep in higher precision", html);
        // The embedded PNG decodes to the same bytes as the file written beside it.
        var m = Regex.Match(html, "src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");
        Assert.Equal(PngSignature(), Convert.FromBase64String(m.Groups[1].Value)[..8]);
    }

    [Fact]
    public void Write_WithWeightAlgorithm_ListsEachLayersErrorBeforeAndAfter()
    {
        var g = QuantTestModels.ConvNet();
        var data = QuantTestModels.RandomData(g, 6, batch: 2);
        var q = Quantizer.Quantize(g, new QuantizerConfig(algorithm: new AlgorithmConfig(biasCorrection: BiasCorrectionKind.Empirical)), data);
        var report = new Report { Created = null }.WithManifest(q.Manifest);
        Assert.Equal("nearest + bias correction (empirical)", report.Algorithm!.Algorithm);
        Assert.Equal(q.Manifest.Tensors.Count(t => t.Kind == "weight"), report.Algorithm.Layers.Count);
        var files = report.Write(dir);
        string md = File.ReadAllText(files.Markdown), html = File.ReadAllText(files.Html);
        var first = report.Algorithm.Layers[0];
        Assert.Contains("## Weight algorithm: nearest + bias correction (empirical)", md);
        Assert.Contains($"| `{first.Weight}` | {ReportFormat.Num(first.ErrorNearest)} | {ReportFormat.Num(first.ErrorAlgorithm)} |", md);
        Assert.Contains("<h2>Weight algorithm: nearest + bias correction (empirical)</h2>", html);
    }

    private static byte[] PngSignature() => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void Write_Json_ParsesBackWithSameNumbers()
    {
        var report = Full();
        var files = report.Write(dir);
        using (var doc = JsonDocument.Parse(File.ReadAllText(files.Json)))  // strict JSON: ±∞ are strings
            Assert.Equal(JsonValueKind.Object, doc.RootElement.GetProperty("layers").ValueKind);
        var back = Report.Read(files.Json);
        Assert.Equal(report.Layers!.Layers.Count, back.Layers!.Layers.Count);
        Assert.Equal(report.Layers.Layers.Select(l => l.SqnrDb), back.Layers.Layers.Select(l => l.SqnrDb));
        Assert.Equal(report.Layers.Layers[0].Format, back.Layers.Layers[0].Format);
        Assert.Equal(report.Layers.KeepInHigherPrecision, back.Layers.KeepInHigherPrecision);
        Assert.Equal(report.Fidelity!.Outputs[0], back.Fidelity!.Outputs[0]);
        Assert.Equal(report.Size, back.Size);
        Assert.Equal(report.Latency, back.Latency);
        Assert.Equal(report.Cpu!.Decision, back.Cpu!.Decision);
        Assert.Equal(report.Scheme!.Weights, back.Scheme!.Weights);
        Assert.Equal(report.Warnings, back.Warnings);
    }

    [Fact]
    public void Write_InfiniteSqnr_RoundTripsThroughJson()
    {
        var f = FloatMlp();
        var layers = LayerComparison.Run(f, f, Batches(1), new LayerComparisonOptions { Threads = 1 });
        var files = new Report { Created = null }.WithLayers(layers).Write(dir);
        Assert.Contains("\"Infinity\"", File.ReadAllText(files.Json));
        Assert.All(Report.Read(files.Json).Layers!.Layers, l => Assert.Equal(double.PositiveInfinity, l.SqnrDb));
    }

    [Fact]
    public void Write_Markdown_HasHeadlineTablesAndFigureLinks()
    {
        var files = Full().Write(dir);
        string md = File.ReadAllText(files.Markdown);
        Assert.StartsWith("# LowBit quantization report", md);
        Assert.Contains("| **Size** |", md);
        Assert.Contains("| **Latency** |", md);
        Assert.Contains("## Per-tensor error", md);
        Assert.Contains("## Error attribution", md);
        Assert.Contains("](plots/layer-sqnr.png)", md);
    }

    [Fact]
    public void Write_Markdown_LabelsTheAttributionSubset()
    {
        // Full(): 6 batches of 2 compared, attribution on the first 2 batches. The output SQNR over all 12 samples and
        // the all-quantized SQNR on the 4 attribution samples are different figures and each says which samples it covers.
        var r = Full();
        string md = File.ReadAllText(r.Write(dir).Markdown);
        Assert.Contains($"Output SQNR with all Q/DQ, over the 12 samples: {ReportFormat.Db(r.Layers!.OutputSqnrDb)}", md);
        Assert.Contains($"## Error attribution (first 4 samples; output SQNR with all Q/DQ on them: {ReportFormat.Db(r.Layers.AttributionOutputSqnrDb)})", md);
    }

    [Fact]
    public void Figures_OneThreadLatency_CaptionIsSingular()
    {
        var r = new Report { Created = null, Latency = new LatencyComparison("ort", 1, 1, 20, 3.2, 1.6) };
        Assert.Contains(r.Figures(), f => f.Caption == "Latency (ort, 1 thread, batch 1)");
    }

    [Fact]
    public void Tool_IsTheInformationalVersion()
    {
        // Not the assembly version (1.0.0.0 when no Version is set): the number `lowbit --version` prints.
        var v = typeof(Report).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.Equal("LowBit " + v, new Report().Tool);
    }

    [Fact]
    public void Write_EmptyReport_WritesValidFilesWithoutFigures()
    {
        var files = new Report { Created = null }.Write(dir);
        Assert.Empty(files.Plots);
        Assert.Contains("</html>", File.ReadAllText(files.Html));
        Assert.Null(Report.Read(files.Json).Layers);
    }

    [Fact]
    public void Write_AgainWithFewerFigures_RemovesOnlyStaleReportPlots()
    {
        var f = FloatMlp();
        var layers = LayerComparison.Run(f, HandQdq(f, 0.1f), Batches(1), new LayerComparisonOptions { Threads = 1 });
        var first = new Report { Created = null }.WithLayers(layers).Write(dir);
        Assert.Contains(first.Plots, p => p.EndsWith("histogram-1.png"));
        string mine = Path.Combine(dir, "plots", "mine.png");
        File.WriteAllBytes(mine, [1, 2, 3]);
        new Report { Created = null }.Write(dir);
        Assert.Equal([mine], Directory.GetFiles(Path.Combine(dir, "plots")));
    }

    [Fact]
    public void Write_ModelText_IsHtmlEncoded()
    {
        var files = new Report { Created = null, Warnings = ["node <b>evil</b> & co"] }.Write(dir);
        string html = File.ReadAllText(files.Html);
        Assert.Contains("node &lt;b&gt;evil&lt;/b&gt; &amp; co", html);
        Assert.DoesNotContain("<b>evil</b>", html);
    }

    [Fact]
    public void WithModels_NoFiles_ComparesInitializerBytes()
    {
        var g = QuantTestModels.ConvNet();
        var q = Quantizer.Quantize(g, new QuantizerConfig(), QuantTestModels.RandomData(g, 2));
        var r = new Report().WithModels(g, null, q.Graph, null);
        Assert.Equal("initializers", r.Size!.Basis);
        // int8 weights are 4× smaller than float32; this tiny model's int32 biases, per-channel scales and BatchNorm
        // statistics (folded away) keep the ratio near 3.
        Assert.True(r.Size.Ratio > 2.5, $"got {r.Size.Ratio}");
    }
}
