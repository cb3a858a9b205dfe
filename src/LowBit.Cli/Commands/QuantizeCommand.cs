using System.CommandLine;
using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Onnx;
using LowBit.Quantization;

namespace LowBit.Cli.Commands;

/// <summary>
/// <c>lowbit quantize MODEL --out FILE [--mode static|weight-only|dynamic] [--weights F] [--granularity G] [--activations F|none]
/// [--calibration OBSERVER] [--calib-data SPEC] [--calib-samples N] [--calib-cache FILE] [--exclude X]... [--recipe FILE]
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
        foreach (var s in o.All)
            switch (s)
            {
                case Argument a: cmd.Add(a); break;
                case Option opt: cmd.Add(opt); break;
            }
        cmd.SetAction(pr => Execute(context(pr), o, pr));
        return cmd;
    }

    private static int Execute(CliContext ctx, QuantizeOptions o, ParseResult pr)
    {
        var clock = Stopwatch.StartNew();
        string model = pr.GetValue(o.Model)!, output = pr.GetValue(o.Out)!;
        string? reportDir = pr.GetValue(o.Report);
        CheckPaths(model, output, reportDir);
        ctx.Trace($"loading {model}");
        var graph = OnnxImporter.Load(model);
        QuantizePipeline.ThrowIfQuantized(graph, model);
        var config = o.ToConfig(pr, graph.Nodes.Select(n => n.OpType).ToHashSet(StringComparer.Ordinal));
        var input = ModelData.SingleInput(graph, model);
        int threads = pr.GetValue(o.Threads);
        var warnings = new List<string>();

        string? calibSpec = pr.GetValue(o.CalibData);
        Dataset? calib = null;
        int calibCount = 0;
        if (config.Mode == QuantMode.Static)
        {
            if (calibSpec is null)
                throw new LowBitException(ErrorKind.Usage, "static quantization needs calibration data: give --calib-data SPEC (e.g. fashion-mnist:train, images=DIR,preset=imagenet,size=224), or use --mode weight-only / --mode dynamic");
            calib = ModelData.Open(calibSpec, input, "--calib-data");
            int wanted = pr.GetValue(o.CalibSamples) ?? QuantizeOptions.DefaultCalibSamples;
            calibCount = Math.Min(wanted, calib.Count);
            if (wanted > calib.Count && pr.GetValue(o.CalibSamples) is not null)
                warnings.Add($"--calib-samples {wanted}: {calib.Name} has only {calib.Count} samples; calibrating on all of them");
        }
        else if (calibSpec is not null)
            warnings.Add($"--calib-data is ignored in {ConfigNames.Name(config.Mode)} mode (no activation ranges to calibrate)");
        if (pr.GetValue(o.CalibCache) is not null && config.Mode != QuantMode.Static)
            warnings.Add($"--calib-cache is ignored in {ConfigNames.Name(config.Mode)} mode");

        Dataset? heldOut = null, layerData = null;
        int evalSamples = pr.GetValue(o.EvalSamples) ?? QuantizeOptions.DefaultEvalSamples;
        if (reportDir is not null)
        {
            if (pr.GetValue(o.Data) is string dataSpec) heldOut = ModelData.Open(dataSpec, input, "--data");
            else if (calib is not null && calib.Count > calibCount) heldOut = new DataSlice(calib, calibCount, Math.Min(evalSamples, calib.Count - calibCount));
            layerData = heldOut ?? calib;
        }
        else if (pr.GetValue(o.Data) is not null)
            warnings.Add("--data is only used by --report; ignored");

        var copts = config.Mode != QuantMode.Static ? CalibrationOptions.Default
            : new CalibrationOptions(calibCount, pr.GetValue(o.CalibCache), $"{calib!.Name}[0:{calibCount}]") { Threads = threads };
        var result = ProgressDisplay.Run(ctx, progress =>
        {
            var qclock = Stopwatch.StartNew();
            var samples = calib is null ? null : ModelData.Samples(calib, input.Name, calibCount);
            ctx.Trace(calib is null ? "quantizing" : $"calibrating on {calibCount} samples of {calib.Name}");
            var q = QuantizePipeline.Run(graph, config, samples, PhaseProgress.Calibration(progress), copts, stored: null, sourcePath: Path.GetFullPath(model));
            double quantizeSeconds = qclock.Elapsed.TotalSeconds;
            ctx.ThrowIfCancelled();
            q.Save(output, model);
            ctx.Trace($"wrote {output} and {QuantizedModel.ManifestPathFor(output)}");

            ReportSummary? summary = null;
            if (reportDir is not null)
            {
                var inputs = new ReportInputs(model, graph, output, q, heldOut, layerData, evalSamples,
                    pr.GetValue(o.CompareSamples) ?? QuantizeOptions.DefaultCompareSamples, threads,
                    pr.GetValue(o.BenchSeconds) ?? QuantizeOptions.DefaultBenchSeconds);
                var report = QuantReportBuilder.Build(ctx, inputs, progress, warnings);
                summary = QuantizeResult.Summarize(report, report.Write(reportDir));
            }
            var cal = q.Manifest.Calibration is { } c ? new CalibrationResultInfo(c.DataKey, c.Samples, c.Observer, c.Cache, Math.Round(quantizeSeconds, 2)) : null;
            return QuantizeResult.From(model, output, q, cal, summary, warnings, clock.Elapsed.TotalSeconds);
        });
        foreach (var w in result.Warnings) ctx.Warn(w);
        if (ctx.Json) ctx.WriteJson(result);
        else QuantizePrinter.Print(ctx.Console, result);
        return ErrorBoundary.Ok;
    }

    /// <summary>The output must not be the input (nor its manifest), and the report folder must not be a file.</summary>
    private static void CheckPaths(string model, string output, string? reportDir)
    {
        if (!File.Exists(model)) throw new LowBitException(ErrorKind.FileNotFound, $"{model}: file not found");
        var cmp = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string fullIn = Path.GetFullPath(model), fullOut = Path.GetFullPath(output);
        if (string.Equals(fullIn, fullOut, cmp))
            throw new LowBitException(ErrorKind.UnsafePath, $"--out {output}: is the input model; choose another path (the float model is never overwritten)");
        if (string.Equals(QuantizedModel.ManifestPathFor(fullOut), fullIn, cmp))
            throw new LowBitException(ErrorKind.UnsafePath, $"--out {output}: its manifest {QuantizedModel.ManifestPathFor(output)} would overwrite the input model");
        if (Directory.Exists(fullOut)) throw new LowBitException(ErrorKind.Usage, $"--out {output}: is a folder; give a file name such as model.q.onnx");
        if (!output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new LowBitException(ErrorKind.Usage, $"--out {output}: give the model an .onnx extension (its manifest is written beside it as NAME.lowbit.json)");
        if (Path.GetDirectoryName(fullOut) is string dir && !Directory.Exists(dir))
            throw new LowBitException(ErrorKind.FileNotFound, $"--out {output}: folder {dir} does not exist");
        if (reportDir is not null && File.Exists(reportDir))
            throw new LowBitException(ErrorKind.Usage, $"--report {reportDir}: is a file; expected a folder");
    }
}
