using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Reports;
using LowBit.Tensors;

namespace LowBit.Cli.Commands;

/// <summary>One row of <c>lowbit formats</c>: a format in one mode, its figures, or the one-line reason it has none.</summary>
internal sealed record FormatRow(string Format, string Mode, string Scheme, string Granularity, double? BitsPerWeight, long? FileBytes,
    double? SizeRatio, int? WeightTensors, long? Weights, double? WeightSqnrDb, double? OutputSqnrDb, double? OutputCosine,
    double? Top1Agreement, double? Accuracy, double? AccuracyDelta, double? LatencyMs, double? LatencyRatio, string? File, string? Error)
{
    public bool Ok => Error is null;
    /// <summary>Language models: the file's perplexity on the text (null otherwise).</summary>
    public double? Perplexity { get; init; }

    public static FormatRow Failed(FormatJob job, string reason) =>
        new(job.Format.Name, job.ModeName, job.SchemeName, job.Granularity.ToString(), null, null, null, null, null, null, null, null, null, null, null,
            null, null, null, CliContext.OneLine(reason));
}

/// <summary>One format to try: weight-only round to nearest, or (8-bit integers with --calib-data) static W8A8.</summary>
internal sealed record FormatJob(INumberFormat Format, WeightGranularity Granularity, bool Static)
{
    /// <summary>Unsigned integer grids hold no negative weights without a zero point: asymmetric; every other grid symmetric
    /// (what <c>lowbit quantize</c> defaults to, and the only scheme float, lookup and ternary grids take).</summary>
    public QuantScheme Scheme => Format.IntegerRange is { Min: >= 0 } ? QuantScheme.Asymmetric : QuantScheme.Symmetric;
    public string SchemeName => Scheme == QuantScheme.Asymmetric ? "asym" : "sym";
    public string ModeName => Static ? "static" : "weight-only";
    public string Id => Static ? Format.Name + "-w8a8" : Format.Name;
}

/// <summary>What every format is measured on: the float model, its prepared graph, held-out data (a dataset, or the text of a
/// language model), inputs for one call.</summary>
internal sealed record FormatsShared(string ModelPath, Graph.Graph Graph, Graph.Graph Prepared, Dataset? Eval, FormatsText? Text, int EvalSamples,
    Dataset? Calib, int CalibSamples, IReadOnlyDictionary<string, Tensor> OneCall, string Dir, int Threads);

/// <summary>
/// Quantizes the model in one <see cref="FormatJob"/>'s format with round to nearest (as <c>lowbit quantize</c> does:
/// same config defaults, same pipeline), saves it, proves ONNX Runtime runs it (<see cref="ExportCheck"/>), measures the
/// weights (<see cref="FormatsWeights"/>) and the fidelity of the file in ONNX Runtime against the float file on the
/// held-out data (<see cref="QuantReportBuilder.Fidelity"/>: output SQNR, cosine, top-1 agreement, accuracy with labels).
/// A user error on the way (a refused combination, a file ONNX Runtime cannot run) becomes the row's reason.
/// </summary>
internal static class FormatsRunner
{
    public static FormatRow Run(CliContext ctx, FormatJob job, FormatsShared s)
    {
        string path = Path.Combine(s.Dir, $"{Path.GetFileNameWithoutExtension(s.ModelPath)}.{job.Id}.onnx");
        string manifest = QuantizedModel.ManifestPathFor(path);
        try
        {
            var q = Quantize(job, s, WeightOnlyKernel.Auto);
            ctx.ThrowIfCancelled();
            q.Save(path, s.ModelPath);
            ExportCheck.Run(job.Id, path, s.OneCall, s.Threads, [manifest]);
            ctx.ThrowIfCancelled();
            // MatMulNBits packs weights LayerMatching cannot pair; the same codes exported as DequantizeLinear can be
            // (round to nearest is deterministic, so the weights are identical).
            var measured = q.Manifest.Export.MatMulNBitsNodes.Count > 0 ? Quantize(job, s, WeightOnlyKernel.DequantizeLinear) : q;
            var w = FormatsWeights.Measure(s.Prepared, measured.Graph, q.Graph, s.OneCall, s.Threads);
            ctx.ThrowIfCancelled();
            var fid = s.Eval is null ? null
                : QuantReportBuilder.Fidelity(new ReportInputs(s.ModelPath, s.Graph, path, q, s.Eval, null, s.EvalSamples, 0, s.Threads, 0), s.Eval, new Cancelling(ctx));
            double? ppl = s.Text?.Perplexity(path, s.Threads, ctx.Cancellation);
            var o = fid?.Outputs.FirstOrDefault();
            long bytes = new FileInfo(path).Length, floatBytes = new FileInfo(s.ModelPath).Length;
            return new FormatRow(job.Format.Name, job.ModeName, job.SchemeName, job.Granularity.ToString(),
                w.Weights > 0 ? Math.Round(w.BitsPerWeight, 3) : null, bytes, Math.Round((double)bytes / floatBytes, 4), w.Tensors, w.Weights,
                w.Weights > 0 ? Round(w.SqnrDb) : null, o is null ? null : Round(o.SqnrDb), o?.CosineMean, o?.Top1Agreement,
                fid?.Accuracy?.Test.Top1, fid?.Accuracy?.Top1Delta, null, null, Format.FullPath(path), null) { Perplexity = ppl is double x ? Math.Round(x, 4) : null };
        }
        catch (LowBitException e)
        {
            OutputFiles.Remove(path, manifest);
            return FormatRow.Failed(job, e.Message);
        }
        catch (ArgumentException e)
        {
            OutputFiles.Remove(path, manifest);
            return FormatRow.Failed(job, e.Message);
        }
    }

    /// <summary>The quantizer run <c>lowbit quantize</c> makes for this format (weight-only, or static with the CLI's
    /// default activation observer on the first calibration samples).</summary>
    private static QuantizedModel Quantize(FormatJob job, FormatsShared s, WeightOnlyKernel kernel)
    {
        var weights = new WeightQuantConfig(job.Format, job.Granularity, job.Scheme);
        if (!job.Static)
            return QuantizePipeline.Run(s.Graph, new QuantizerConfig(QuantMode.WeightOnly, weights, weightOnlyKernel: kernel), null, null,
                CalibrationOptions.Default, stored: null, sourcePath: Path.GetFullPath(s.ModelPath));
        var acts = new ActivationQuantConfig(observer: QuantizeOptions.DefaultObserver);
        var config = new QuantizerConfig(QuantMode.Static, weights, acts);
        var input = s.Graph.RealInputs.First().Name;
        return QuantizePipeline.Run(s.Graph, config, ModelData.Samples(s.Calib!, input, s.CalibSamples), null,
            new CalibrationOptions(s.CalibSamples) { Threads = s.Threads }, stored: null, sourcePath: Path.GetFullPath(s.ModelPath));
    }

    private static double Round(double db) => double.IsFinite(db) ? Math.Round(db, 2) : db;

    /// <summary>Progress sink of the fidelity run: only a cancellation point per batch.</summary>
    private sealed class Cancelling(CliContext ctx) : IPhaseProgress
    {
        public void Report(string phase, long done, long? total) => ctx.ThrowIfCancelled();
    }
}
