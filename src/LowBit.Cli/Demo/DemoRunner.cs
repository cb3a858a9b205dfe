using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Reports;
using LowBit.Reports.Writers;

namespace LowBit.Cli.Demo;

/// <summary>What the demo runs on and how long it may measure.</summary>
internal sealed record DemoRequest(string Model, string OutDir, int CalibSamples, int? EvalSamples, int CompareSamples, double BenchSeconds, int Threads);

/// <summary>
/// The demo: quantizes a trained classifier with every <see cref="DemoSchemes"/> scheme, calibrating on the first
/// <see cref="DemoRequest.CalibSamples"/> images of the committed Fashion-MNIST test subset and evaluating accuracy on the
/// rest (never on calibration images), all in ONNX Runtime from the exported files; measures ONNX Runtime latency of every
/// file side by side; writes each scheme's full report and an overview page. Static schemes share one calibration
/// (the activation settings are the same, so the calibration cache hits after the first). Every folder it writes is
/// created through <paramref name="folders"/>, so that a failed run can remove them.
/// </summary>
internal static class DemoRunner
{
    public static DemoResult Run(CliContext ctx, DemoRequest req, DemoModel model, NewFolders folders, IPhaseProgress progress)
    {
        var clock = Stopwatch.StartNew();
        var warnings = new List<string>();
        var (graph, input, data) = model;
        int calibCount = Math.Min(req.CalibSamples, data.Count - 1);
        var calib = new DataSlice(data, 0, calibCount);
        var eval = new DataSlice(data, calibCount, Math.Min(req.EvalSamples ?? int.MaxValue, data.Count - calibCount));
        folders.Create(req.OutDir);
        string modelsDir = folders.Create(Path.Combine(req.OutDir, "models"));
        string cache = Path.Combine(modelsDir, "calibration.json");
        if (File.Exists(cache)) File.Delete(cache);  // a previous demo's ranges (another model or data) must not be reused

        var built = new List<(DemoScheme Scheme, QuantizedModel Q, string Path, FidelityReport Fidelity)>();
        int done = 0;
        foreach (var scheme in DemoSchemes.All)
        {
            ctx.ThrowIfCancelled();
            progress.Report("quantizing", done, DemoSchemes.All.Count);
            var copts = scheme.NeedsCalibration
                ? new CalibrationOptions(calibCount, cache, $"{calib.Name}") { Threads = req.Threads }
                : CalibrationOptions.Default;
            var samples = scheme.NeedsCalibration ? ModelData.Samples(calib, input.Name, calibCount) : null;
            var q = QuantizePipeline.Run(graph, scheme.Config, samples, null, copts, stored: null, sourcePath: Path.GetFullPath(req.Model));
            string path = Path.Combine(modelsDir, $"{Path.GetFileNameWithoutExtension(req.Model)}.{scheme.Id}.onnx");
            q.Save(path, req.Model);
            var inputs = new ReportInputs(req.Model, graph, path, q, eval, eval, eval.Count, req.CompareSamples, req.Threads, 0);
            built.Add((scheme, q, path, QuantReportBuilder.Fidelity(inputs, eval, new Silent())));
            progress.Report("quantizing", ++done, DemoSchemes.All.Count);
        }
        if (File.Exists(cache)) File.Delete(cache);

        progress.Report("measuring latency", 0, null);
        var benchInputs = QuantReportBuilder.BenchInputs(graph, input, eval);
        var latency = LatencyCompare.Measure([req.Model, .. built.Select(b => b.Path)], benchInputs, req.Threads, req.BenchSeconds, ctx.Cancellation);
        progress.Report("measuring latency", 1, 1);

        var floatAcc = built[0].Fidelity.Accuracy?.Reference.Top1 ?? double.NaN;
        long floatBytes = new FileInfo(req.Model).Length;
        var rows = new List<DemoRow>
        {
            new("fp32", "FP32", "(the float model)", Format.FullPath(req.Model), floatBytes, 1, floatAcc, 0, null, null, latency[0].MedianMs, 1, null),
        };
        for (int i = 0; i < built.Count; i++)
        {
            ctx.ThrowIfCancelled();
            var (scheme, q, path, fid) = built[i];
            progress.Report("writing reports", i, built.Count);
            var lat = new LatencyComparison("ort", req.Threads, benchInputs.Values.First().Shape[0], Math.Min(latency[0].Runs, latency[i + 1].Runs),
                Math.Round(latency[0].MedianMs, 4), Math.Round(latency[i + 1].MedianMs, 4));
            var report = new Report { Title = $"LowBit demo: {Path.GetFileName(req.Model)} {scheme.Name}" }
                .WithModels(graph, req.Model, q.Graph, path).WithManifest(q.Manifest).WithFidelity(fid).WithLatency(lat);
            if (req.CompareSamples > 0)
                report = report.WithLayers(LayerComparison.Run(graph, q.Graph, eval, 32, req.CompareSamples,
                    new LayerComparisonOptions { Attribution = true, AttributionBatches = 1, Threads = req.Threads, HistogramBins = 128 }));
            string dir = folders.Create(Path.Combine(req.OutDir, scheme.Id));
            report.Write(dir);
            long bytes = new FileInfo(path).Length;
            double acc = fid.Accuracy?.Test.Top1 ?? double.NaN;
            var o = fid.Outputs.FirstOrDefault();
            rows.Add(new DemoRow(scheme.Id, scheme.Name, scheme.Description, Format.FullPath(path), bytes, Math.Round((double)bytes / floatBytes, 4), acc,
                acc - floatAcc, o?.Top1Agreement, o?.SqnrDb, latency[i + 1].MedianMs, Math.Round(latency[i + 1].MedianMs / latency[0].MedianMs, 4),
                Path.GetFullPath(Path.Combine(dir, "index.html"))));
            foreach (var w in q.Warnings) warnings.Add($"{scheme.Name}: {w}");
        }
        var cpu = built[0].Q.Manifest.Cpu;
        var result = new DemoResult("demo", Format.FullPath(req.Model), $"fashion-mnist-1k: calibration {calib.Name}, evaluation {eval.Name}", calibCount, eval.Count,
            req.Threads, cpu.Cpu, cpu.ReduceRange, cpu.Reason, rows, latency.Min(l => l.Runs), Path.GetFullPath(Path.Combine(req.OutDir, "index.html")),
            warnings, Math.Round(clock.Elapsed.TotalSeconds, 2));
        AtomicFile.WriteAllText(Path.Combine(req.OutDir, "demo.json"), System.Text.Json.JsonSerializer.Serialize(result, CliContext.JsonOptions));
        AtomicFile.WriteAllText(Path.Combine(req.OutDir, "index.html"), DemoHtml.Write(result, built[0].Q.Manifest));
        progress.Report("writing reports", built.Count, built.Count);
        return result;
    }

    private sealed class Silent : IPhaseProgress
    {
        public void Report(string phase, long done, long? total) { }
    }
}
