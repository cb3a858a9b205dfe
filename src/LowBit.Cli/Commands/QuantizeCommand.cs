using System.CommandLine;
using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Data.Inputs;
using LowBit.Onnx;
using LowBit.Quantization;

namespace LowBit.Cli.Commands;

/// <summary>
/// <c>lowbit quantize MODEL --out FILE [--mode static|weight-only|dynamic] [--weights F] [--granularity G] [--activations F|none]
/// [--calibration OBSERVER] [--calib-data SPEC] [--calib-samples N] [--stream OUT=IN]... [--calib-cache FILE] [--exclude X]... [--recipe FILE]
/// [--report DIR [--data SPEC]]</c>: post-training quantization with <see cref="Quantizer"/>. Everything that can be checked
/// is checked before calibration starts (paths, flags, data shape); the model and its manifest are written atomically,
/// the report after them.
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var o = new QuantizeOptions();
        var cmd = new Command("quantize", "Quantize a float ONNX model (static W8A8, weight-only int4/int8, dynamic) and write the QDQ model, its manifest and an optional report");
        foreach (var s in o.All) SensitivityCommand.Add(cmd, s);
        cmd.SetAction(pr => Execute(context(pr), o, pr));
        return cmd;
    }

    private static int Execute(CliContext ctx, QuantizeOptions o, ParseResult pr)
    {
        var clock = Stopwatch.StartNew();
        string model = pr.GetValue(o.Model)!, output = pr.GetValue(o.Out)!;
        string? reportDir = pr.GetValue(o.Report);
        CheckPaths(model, output, reportDir, pr.GetValue(o.Recipe), pr.GetValue(o.CalibCache), pr.GetValue(o.Force));
        ctx.Trace($"loading {model}");
        var graph = OnnxImporter.Load(model);
        QuantizePipeline.ThrowIfQuantized(graph, model);
        var config = o.ToConfig(pr, graph.Nodes.Select(n => n.OpType).ToHashSet(StringComparer.Ordinal));
        var input = ModelData.SingleInputOrNull(graph);
        var streams = ModelData.Streams(pr.GetValue(o.Stream) ?? [], graph, model);
        if (reportDir is not null && input is null)
            throw new LowBitException(ErrorKind.Usage, $"--report {reportDir}: the report's fidelity and per-layer sections feed one input; {model} has {graph.RealInputs.Count()}: {string.Join(", ", graph.RealInputs.Select(v => v.Name))}");
        int threads = pr.GetValue(o.Threads);
        var warnings = new List<string>();

        string? calibSpec = pr.GetValue(o.CalibData);
        SampleSource? calib = null;
        Dataset? calibSet = null;
        int calibCount = 0;
        bool needsData = config.Mode == QuantMode.Static || config.Algorithm.NeedsData;
        if (needsData)
        {
            if (calibSpec is null && config.Mode != QuantMode.Static)
                throw new LowBitException(ErrorKind.Usage, $"--algorithm {ConfigNames.Name(config.Algorithm.Algorithm)}{(config.Algorithm.BiasCorrection == BiasCorrectionKind.Empirical ? " / --bias-correction empirical" : "")} needs calibration data: give --calib-data SPEC");
            if (calibSpec is null)
                throw new LowBitException(ErrorKind.Usage, "static quantization needs calibration data: give --calib-data SPEC (e.g. fashion-mnist:train, images=DIR,preset=imagenet,size=224), or use --mode weight-only / --mode dynamic");
            calib = ZeroQData.TryOpen(ctx, calibSpec, graph, model, "--calib-data") ?? ModelData.OpenSamples(calibSpec, graph, streams, "--calib-data");
            warnings.AddRange(calib.Warnings);
            if (reportDir is not null) calibSet = ModelData.TryOpenDataset(calibSpec, input!);
            int wanted = pr.GetValue(o.CalibSamples) ?? QuantizeOptions.DefaultCalibSamples;
            calibCount = Math.Min(wanted, calib.Count);
            if (wanted > calib.Count && pr.GetValue(o.CalibSamples) is not null)
                warnings.Add($"--calib-samples {wanted}: {calib.Name} has only {calib.Count} samples; calibrating on all of them");
        }
        else if (calibSpec is not null)
            warnings.Add($"--calib-data is ignored in {ConfigNames.Name(config.Mode)} mode (no activation ranges to calibrate)");
        if (streams.Count > 0 && !needsData)
            warnings.Add($"--stream is ignored in {ConfigNames.Name(config.Mode)} mode (nothing is calibrated)");
        if (pr.GetValue(o.CalibCache) is not null && config.Mode != QuantMode.Static)
            warnings.Add($"--calib-cache is ignored in {ConfigNames.Name(config.Mode)} mode");

        var drop = pr.GetValue(o.MaxDrop) is string maxDrop
            ? (Target: QuantizeMaxDrop.ParseTarget(maxDrop), Checked: QuantizeMaxDrop.Check(config, input, model, pr.GetValue(o.EvalData), pr.GetValue(o.Fallback))) : default;
        if (drop == default && (pr.GetValue(o.EvalData) ?? pr.GetValue(o.Fallback)) is not null)
            warnings.Add("--eval-data and --fallback are only used by --max-drop; ignored");
        if (drop != default && pr.GetValue(o.CalibCache) is not null)
            warnings.Add("--calib-cache is ignored with --max-drop (every trial calibrates)");

        Dataset? heldOut = null, layerData = null;
        int evalSamples = pr.GetValue(o.EvalSamples) ?? QuantizeOptions.DefaultEvalSamples;
        if (reportDir is not null)
        {
            if (pr.GetValue(o.Data) is string dataSpec) heldOut = ModelData.Open(dataSpec, input!, "--data");
            else if (calibSet is not null && calibSet.Count > calibCount) heldOut = new DataSlice(calibSet, calibCount, Math.Min(evalSamples, calibSet.Count - calibCount));
            layerData = heldOut ?? calibSet;
        }
        else if (pr.GetValue(o.Data) is not null)
            warnings.Add("--data is only used by --report; ignored");

        var result = ProgressDisplay.Run(ctx, progress =>
        {
            var copts = (!needsData ? CalibrationOptions.Default
                : config.Mode != QuantMode.Static ? new CalibrationOptions(calibCount) { Threads = threads, Streams = streams }
                : new CalibrationOptions(calibCount, pr.GetValue(o.CalibCache), $"{calib!.Name}[0:{calibCount}]") { Threads = threads, Streams = streams, DataSpec = pr.GetValue(o.CalibData) })
                with { AlgorithmProgress = PhaseProgress.Algorithm(progress, ctx, config.Algorithm.Algorithm == WeightAlgorithm.Nearest ? "bias correction" : ConfigNames.Name(config.Algorithm.Algorithm)), Cancellation = ctx.Cancellation };
            var qclock = Stopwatch.StartNew();
            var samples = calib?.Take(calibCount);
            ctx.Trace(calib is null ? "quantizing" : $"calibrating on {calibCount} samples of {calib.Name}");
            QuantizedModel q;
            MaxDropInfo? maxDropInfo = null;
            if (drop != default)
                (q, maxDropInfo) = QuantizeMaxDrop.Run(ctx, graph, input!, config, samples?.ToList(), drop.Checked.Eval, drop.Checked.Fallback,
                    new QuantizeMaxDrop.Request(drop.Target, pr.GetValue(o.EvalData)!, pr.GetValue(o.EvalSamples), pr.GetValue(o.Fallback), calibSpec, calibCount, threads), progress);
            else q = QuantizePipeline.Run(graph, config, samples, PhaseProgress.Calibration(progress), copts, stored: null, sourcePath: Path.GetFullPath(model));
            double quantizeSeconds = qclock.Elapsed.TotalSeconds;
            ctx.ThrowIfCancelled();
            q.Save(output, model);
            string manifest = QuantizedModel.ManifestPathFor(output);
            ReportSummary? summary = null;
            // The model, its manifest and its report are one output: a failure or Ctrl-C before all exist removes them all.
            var folders = new NewFolders();
            try
            {
                progress.Report("checking the export in ONNX Runtime", 0, null);
                ExportCheck.Run("--out", output, ModelData.CheckInputs(graph, input, calib), threads, [manifest]);
                ctx.Trace($"wrote {output} and {manifest}; ONNX Runtime runs it");
                if (reportDir is not null)
                {
                    var inputs = new ReportInputs(model, graph, output, q, heldOut, layerData, evalSamples,
                        pr.GetValue(o.CompareSamples) ?? QuantizeOptions.DefaultCompareSamples, threads,
                        pr.GetValue(o.BenchSeconds) ?? QuantizeOptions.DefaultBenchSeconds);
                    var report = QuantReportBuilder.Build(ctx, inputs, progress, warnings);
                    ctx.ThrowIfCancelled();
                    summary = QuantizeResult.Summarize(report, report.Write(folders.Create(reportDir)));
                }
            }
            catch
            {
                OutputFiles.Remove(output, manifest);
                folders.RemoveAll();
                throw;
            }
            var cal = q.Manifest.Calibration is { } c ? new CalibrationResultInfo(c.DataKey, c.Samples, c.Observer, c.Cache, Math.Round(quantizeSeconds, 2)) : null;
            return QuantizeResult.From(model, output, q, cal, summary, warnings, clock.Elapsed.TotalSeconds) with { Notes = QuantizeResult.NotesFor(config, q.Manifest), MaxDrop = maxDropInfo };
        });
        foreach (var w in result.Warnings) ctx.Warn(w);
        if (ctx.Json) ctx.WriteJson(result);
        else QuantizePrinter.Print(ctx.Console, result);
        return ErrorBoundary.Ok;
    }

    /// <summary>The output rules (<see cref="OutputFiles"/>): the model is an .onnx file that is not an input and replaces an
    /// existing file only with --force; its manifest, the calibration cache and the report folder are distinct and writable.</summary>
    private static void CheckPaths(string model, string output, string? reportDir, string? recipe, string? cache, bool force)
    {
        if (!File.Exists(model)) throw new LowBitException(ErrorKind.FileNotFound, $"{model}: file not found");
        string[] inputs = recipe is null ? [model] : [model, recipe];
        if (OutputFiles.SamePath(model, output))
            throw new LowBitException(ErrorKind.UnsafePath, $"--out {output}: is the input model; choose another path (the float model is never overwritten)");
        OutputFiles.CheckModel("--out", output, force, inputs);
        string manifest = QuantizedModel.ManifestPathFor(output);
        if (OutputFiles.SamePath(manifest, model))
            throw new LowBitException(ErrorKind.UnsafePath, $"--out {output}: its manifest {manifest} would overwrite the input model");
        OutputFiles.CheckFile("--out", manifest, inputs);
        if (cache is not null) OutputFiles.CheckFile("--calib-cache", cache, inputs);
        OutputFiles.CheckDistinct(("--out", output), ("--out manifest", manifest), ("--calib-cache", cache));
        if (reportDir is not null) OutputFiles.CheckFolder("--report", reportDir);
    }
}
