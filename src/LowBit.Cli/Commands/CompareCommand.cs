using System.CommandLine;
using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Reports;
using LowBit.Reports.Writers;

namespace LowBit.Cli.Commands;

/// <summary>One matched tensor of <c>lowbit compare</c>, worst first.</summary>
internal sealed record CompareLayer(string Tensor, string Kind, string? Node, string? Op, string? Format, double FloatMin, double FloatMax,
    double? ClipMin, double? ClipMax, double SqnrDb, double? SqnrBeforeDb, double Cosine, double MaxAbsError);

internal sealed record CompareAttribution(string Node, string Op, double OutputSqnrDb, double OutputCosine, double NoiseShare);

/// <summary>JSON result of <c>lowbit compare</c> (docs/cli.md).</summary>
internal sealed record CompareResult(string Command, string Reference, string Model, string Dataset, long Samples, double? OutputSqnrDb,
    IReadOnlyList<CompareLayer> Layers, long? AttributionSamples, double? AttributionOutputSqnrDb, IReadOnlyList<CompareAttribution>? Attribution,
    IReadOnlyList<string> KeepInHigherPrecision,
    string? ExcludeFlags, IReadOnlyList<string> Unmatched, IReadOnlyList<string> Warnings, string? Report, double Seconds);

/// <summary>
/// <c>lowbit compare FLOAT.onnx QUANTIZED.onnx --data SPEC</c>: "where did the accuracy go". Runs both models in LowBit on the
/// same samples (<see cref="LayerComparison"/>), prints the output SQNR and per tensor SQNR worst first with its op, format
/// and range (all over <c>--samples</c>), then error attribution (the output SQNR with one node quantized at a time, on the
/// first <see cref="QuantReportBuilder.AttributionSamples"/> samples) and the nodes to keep in higher precision, as
/// <c>--exclude</c> flags for <c>lowbit quantize</c>.
/// </summary>
internal static class CompareCommand
{
    public const int DefaultSamples = 32;
    public const int DefaultRows = 25;

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var reference = new Argument<string>("reference") { Description = "The float model" };
        var model = new Argument<string>("model") { Description = "Its quantized (QDQ) version" };
        var data = new Option<string>("--data", "-d", "--dataset") { Description = "Data spec both models run on (no labels needed)", HelpName = "SPEC", Required = true };
        var samples = CommonOptions.AtLeast("--samples", 1, $"Samples to compare on (default {DefaultSamples})");
        var batch = CommonOptions.AtLeast("--batch", 1, "Samples per run (default 8, or the model's fixed batch dim)");
        var noAttribution = new Option<bool>("--no-attribution") { Description = "Skip error attribution (one extra run per quantized node) and the suggestions" };
        var rows = CommonOptions.AtLeast("--rows", 1, $"Rows of the printed tables (default {DefaultRows}; --json lists all)");
        var threads = CommonOptions.Threads();
        var report = new Option<string?>("--report") { Description = "Also write the report (index.html, report.json, plots/) here", HelpName = "DIR" };
        var cmd = new Command("compare", "Per-layer error of a quantized model against its float model, worst first, and which layers to keep in higher precision")
        {
            reference, model, data, samples, batch, noAttribution, rows, threads, report,
        };
        cmd.SetAction(pr => Execute(context(pr), pr.GetValue(reference)!, pr.GetValue(model)!, pr.GetValue(data)!, pr.GetValue(samples) ?? DefaultSamples,
            pr.GetValue(batch), !pr.GetValue(noAttribution), pr.GetValue(rows) ?? DefaultRows, pr.GetValue(threads), pr.GetValue(report)));
        return cmd;
    }

    private static int Execute(CliContext ctx, string reference, string model, string spec, int samples, int? batch, bool attribution, int rows,
        int threads, string? reportDir)
    {
        var clock = Stopwatch.StartNew();
        if (reportDir is not null) OutputFiles.CheckFolder("--report", reportDir);
        ctx.Trace($"loading {reference} and {model}");
        var floatGraph = OnnxImporter.Load(reference);
        var quantized = OnnxImporter.Load(model);
        UnsupportedOps.ThrowIfAny(floatGraph, reference);
        UnsupportedOps.ThrowIfAny(quantized, model);
        var (result, dataName) = ModelData.SingleInputOrNull(floatGraph) is { } input
            ? CompareSingle(ctx, floatGraph, quantized, reference, model, input, spec, samples, batch, attribution, threads)
            : CompareMulti(ctx, floatGraph, quantized, spec, samples, attribution, threads);

        string? html = null;
        if (reportDir is not null)
        {
            var r = new Report { Title = "LowBit layer comparison" }.WithModels(floatGraph, reference, quantized, model).WithLayers(result);
            if (ManifestOf(model) is { } m) r = r.WithManifest(m);
            ctx.ThrowIfCancelled();
            var folders = new NewFolders();
            try
            {
                html = r.Write(folders.Create(reportDir)).Html;
            }
            catch
            {
                folders.RemoveAll();
                throw;
            }
        }
        var output = new CompareResult("compare", Format.FullPath(reference), Format.FullPath(model), dataName, result.Samples, result.OutputSqnrDb,
            result.Layers.Select(l => new CompareLayer(l.Tensor, l.Kind, l.Node, l.OpType, l.Format?.ToString(), l.FloatMin, l.FloatMax,
                l.Format?.ClipMin, l.Format?.ClipMax, l.SqnrDb, l.SqnrBeforeQuantizationDb, l.Cosine, l.MaxAbsError)).ToList(),
            result.AttributionSamples, result.AttributionOutputSqnrDb,
            result.Attribution?.Select(a => new CompareAttribution(a.Node, a.OpType, a.OutputSqnrDb, a.OutputCosine, a.NoiseShare)).ToList(),
            result.KeepInHigherPrecision, ExcludeFlags(result.KeepInHigherPrecision), result.Unmatched, result.Warnings, html,
            Math.Round(clock.Elapsed.TotalSeconds, 2));
        foreach (var w in output.Warnings) ctx.Warn(w);
        if (ctx.Json) ctx.WriteJson(output);
        else ComparePrinter.Print(ctx.Console, output, rows);
        return ErrorBoundary.Ok;
    }

    private static (LayerComparisonResult, string) CompareSingle(CliContext ctx, Graph.Graph floatGraph, Graph.Graph quantized, string reference,
        string model, Graph.ValueInfo input, string spec, int samples, int? batch, bool attribution, int threads)
    {
        ModelData.CheckSameInput(input, reference, quantized, model);
        var data = ModelData.Open(spec, input, "--data");
        foreach (var w in DataSanity.Check(model, data, input.Name, spec)) ctx.Warn(w);
        int b = ModelData.BatchFor(input, batch ?? 8);
        var options = new LayerComparisonOptions
        {
            Attribution = attribution,
            AttributionBatches = Math.Max(1, QuantReportBuilder.AttributionSamples / b),
            Threads = threads,
            Cancellation = ctx.Cancellation,
        };
        var result = ProgressDisplay.Run(ctx, p => LayerComparison.Run(floatGraph, quantized, data, b, samples, options, PhaseProgress.Eval(p)));
        return (result, data.Name);
    }

    /// <summary>Several inputs: one model call per sample of a multi-input spec (npz=, npy=NAME:...,NAME=...), batch 1.</summary>
    private static (LayerComparisonResult, string) CompareMulti(CliContext ctx, Graph.Graph floatGraph, Graph.Graph quantized, string spec,
        int samples, bool attribution, int threads)
    {
        var source = ModelData.OpenSamples(spec, floatGraph, [], "--data").Take(samples);
        var options = new LayerComparisonOptions
        {
            Attribution = attribution,
            AttributionBatches = QuantReportBuilder.AttributionSamples,
            Threads = threads,
            Cancellation = ctx.Cancellation,
        };
        var result = ProgressDisplay.Run(ctx, p => LayerComparison.Run(floatGraph, quantized, source, options, PhaseProgress.Eval(p)));
        return (result, source.Name);
    }

    /// <summary>"--exclude A --exclude B" (shell-quoted), or null when there is nothing to suggest.</summary>
    public static string? ExcludeFlags(IReadOnlyList<string> nodes) =>
        nodes.Count == 0 ? null : string.Join(" ", nodes.Select(n => "--exclude " + QuantizePrinter.Quote(n)));

    /// <summary>The quantizer's manifest beside the model, when there is a readable one.</summary>
    private static QuantManifest? ManifestOf(string model)
    {
        string path = QuantizedModel.ManifestPathFor(model);
        if (!File.Exists(path)) return null;
        try { return QuantizedModel.ReadManifest(path); }
        catch (LowBitException) { return null; }
    }
}
