using LowBit.Data;
using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Reports;
using LowBit.Reports.Writers;
using LowBit.Tensors;

namespace LowBit.Cli.Support;

/// <summary>What a quantization report is made from. <see cref="HeldOut"/>: data the model was not calibrated on (fidelity
/// is skipped without it); <see cref="LayerData"/>: data for the per-layer comparison (held-out or calibration samples).</summary>
internal sealed record ReportInputs(
    string FloatPath, Graph.Graph FloatGraph, string QuantizedPath, QuantizedModel Quantized, Dataset? HeldOut, Dataset? LayerData,
    int EvalSamples, int CompareSamples, int Threads, double BenchSeconds, bool Attribution = true, string FidelityEngine = Engines.Ort);

/// <summary>
/// Builds and writes the full quantization report: fidelity of the exported file against the float file on held-out data
/// (ONNX Runtime by default: what deploys), per-layer SQNR with error attribution and "keep in higher precision"
/// suggestions (LowBit sessions, which see every intermediate value), sizes, and ONNX Runtime latency before/after
/// measured side by side (<see cref="LatencyCompare"/>).
/// </summary>
internal static class QuantReportBuilder
{
    /// <summary>Batches held for error attribution (each costs one run per quantized node).</summary>
    public const int AttributionSamples = 8;

    public static Report Build(CliContext ctx, ReportInputs r, IPhaseProgress progress, List<string> warnings)
    {
        var report = new Report().WithModels(r.FloatGraph, r.FloatPath, r.Quantized.Graph, r.QuantizedPath).WithManifest(r.Quantized.Manifest);
        var input = ModelData.SingleInput(r.FloatGraph, r.FloatPath);

        if (r.HeldOut is { } held)
        {
            ctx.ThrowIfCancelled();
            report = report.WithFidelity(Fidelity(r, held, progress));
        }
        else warnings.Add("report: no held-out data, so no fidelity section (give --data SPEC, or more --calib-data samples than --calib-samples)");

        if (r.LayerData is { } layers && r.CompareSamples > 0)
        {
            ctx.ThrowIfCancelled();
            int batch = ModelData.BatchFor(input, 8);
            var options = new LayerComparisonOptions
            {
                Attribution = r.Attribution,
                AttributionBatches = Math.Max(1, AttributionSamples / batch),
                Threads = r.Threads,
                HistogramBins = 256,
                Cancellation = ctx.Cancellation,
            };
            report = report.WithLayers(LayerComparison.Run(r.FloatGraph, r.Quantized.Graph, layers, batch, r.CompareSamples, options,
                PhaseProgress.Eval(progress)));
        }

        if (r.BenchSeconds > 0)
        {
            ctx.ThrowIfCancelled();
            progress.Report("measuring latency", 0, null);
            var inputs = BenchInputs(r.FloatGraph, input, r.LayerData ?? r.HeldOut);
            report = report.WithLatency(LatencyCompare.BeforeAfter(r.FloatPath, r.QuantizedPath, inputs, r.Threads, r.BenchSeconds, ctx.Cancellation));
            progress.Report("measuring latency", 1, 1);
        }
        return report with { Warnings = [.. report.Warnings, .. warnings.Where(w => !report.Warnings.Contains(w))] };
    }

    /// <summary>One batch-1 input (or the model's fixed batch): a real sample when there is data, else seeded random values.</summary>
    public static Dictionary<string, Tensor> BenchInputs(Graph.Graph g, Graph.ValueInfo input, Dataset? data)
    {
        int batch = ModelData.BatchFor(input, 1);
        if (data is not null && data.Count > 0)
        {
            var b = EvalData.Batches(data, input.Name, batch, batch, prefetch: 0).First();
            if (b.Size == batch) return new Dictionary<string, Tensor> { [input.Name] = (Tensor)b.Inputs[input.Name] };
        }
        return ModelInputs.Build(g, new InputRequest([], true, 0, [], batch), out _);
    }

    public static FidelityReport Fidelity(ReportInputs r, Dataset held, IPhaseProgress progress)
    {
        using var reference = Runner(r.FidelityEngine, r.FloatGraph, r.FloatPath, r.Threads);
        using var test = Runner(r.FidelityEngine, r.Quantized.Graph, r.QuantizedPath, r.Threads);
        return LowBit.Reports.Fidelity.Evaluate(test.Runner, reference.Runner, held,
            new FidelityOptions { BatchSize = 32, MaxSamples = r.EvalSamples }, PhaseProgress.Eval(progress));
    }

    /// <summary>A model runner on LowBit (the graph) or ONNX Runtime (the file).</summary>
    public static OwnedRunner Runner(string engine, Graph.Graph graph, string path, int threads)
    {
        var input = graph.RealInputs.FirstOrDefault();
        int? fixedBatch = input is null ? null : EvalData.BatchSizeFor(input, 0) is int b and > 0 ? b : null;
        if (engine == Engines.Ort)
        {
            var ort = OrtRunner.FromFile(path, threads);
            return new OwnedRunner(ModelRunner.From(ModelRunner.OrtEngine, ort.InputNames, ort.OutputNames, x => ort.Run(x), fixedBatch), ort);
        }
        UnsupportedOps.ThrowIfAny(graph, path);
        return new OwnedRunner(ModelRunner.LowBit(graph, new Runtime.SessionOptions(threads)), null);
    }

    /// <summary>A runner and what must be disposed with it.</summary>
    internal sealed record OwnedRunner(IModelRunner Runner, IDisposable? Owned) : IDisposable
    {
        public void Dispose() => Owned?.Dispose();
    }
}
