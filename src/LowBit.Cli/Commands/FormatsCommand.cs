using System.CommandLine;
using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Quantization.Prepare;

namespace LowBit.Cli.Commands;

/// <summary>JSON result of <c>lowbit formats</c> (docs/cli.md). Float figures are the float model's; <see cref="Kept"/> is
/// the --keep folder (null: the quantized files were temporary and are gone).</summary>
internal sealed record FormatsResult(string Command, string Model, string Dataset, long EvalSamples, string Granularity, int Threads,
    long FloatBytes, double? FloatAccuracy, double? FloatLatencyMs, int? LatencyRuns, IReadOnlyList<FormatRow> Rows, string? Kept,
    IReadOnlyList<string> Warnings, double Seconds)
{
    /// <summary>Language models: the float file's perplexity on the text (null otherwise).</summary>
    public double? FloatPerplexity { get; init; }
}

internal sealed record FormatsRequest(string Model, string Data, IReadOnlyList<FormatJob> Jobs, string? CalibData, int CalibSamples,
    int EvalSamples, int Threads, double BenchSeconds, string? Keep);

/// <summary>
/// <c>lowbit formats MODEL --data SPEC [--formats F,...] [--bits B,...] [--granularity G] [--calib-data SPEC] [--eval-samples N]
/// [--threads N] [--bench-seconds S] [--keep DIR]</c>: the number formats side by side on the user's model, one row each
/// (<see cref="FormatsRunner"/>): stored bits per weight, file size, weight SQNR, output SQNR/cosine and accuracy of the
/// file in ONNX Runtime against the float file, and ONNX Runtime latency of all files measured interleaved
/// (<see cref="LatencyCompare"/>). Quantized files go to a temporary folder removed at the end (also on error or Ctrl-C)
/// unless --keep names a new or empty folder for them.
/// </summary>
internal static class FormatsCommand
{
    public const double DefaultBenchSeconds = 2;

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var model = CommonOptions.Model();
        var data = new Option<string>("--data", "-d", "--dataset") { Description = "Held-out data spec the files are evaluated on (labels give accuracy): fashion-mnist-1k, fashion-mnist:test, images=DIR, npy=...; text=FILE for language models (perplexity)", HelpName = "SPEC", Required = true };
        var formats = new Option<string?>("--formats") { Description = $"Comma-separated weight formats (default: every storable one): {string.Join(", ", FormatsPlan.Storable)}", HelpName = "F,..." };
        var bits = new Option<string?>("--bits") { Description = "Keep only formats of these widths, comma-separated (⌈bits per code⌉: ternary is 2, nf4 4, fp8-e4m3 8)", HelpName = "B,..." };
        var granularity = new Option<string?>("--granularity", "-g") { Description = $"Weight scale granularity of every row (default {FormatsPlan.DefaultGranularity}, as quantize's weight-only mode): {string.Join(", ", WeightGranularity.KnownNames)}", HelpName = "G" };
        var calib = new Option<string?>("--calib-data") { Description = "Also quantize the 8-bit integer formats static W8A8 (uint8 activations), calibrated on this spec", HelpName = "SPEC" };
        var calibSamples = CommonOptions.AtLeast("--calib-samples", 1, $"Calibration samples of --calib-data (default {QuantizeOptions.DefaultCalibSamples})");
        var evalSamples = CommonOptions.AtLeast("--eval-samples", 1, $"Evaluate on the first N samples of --data (default {QuantizeOptions.DefaultEvalSamples})");
        var threads = CommonOptions.Threads();
        var bench = CommonOptions.Number("--bench-seconds", 0, exclusive: false, $"ONNX Runtime timing budget per model, all files interleaved (default {DefaultBenchSeconds}; 0 skips latency)");
        var keep = new Option<string?>("--keep") { Description = "Keep the quantized files (and manifests) in this new or empty folder", HelpName = "DIR" };
        var cmd = new Command("formats", "Compare weight number formats on your model: bits/weight, size, weight and output SQNR, accuracy and ONNX Runtime latency, one row per format")
        {
            model, data, formats, bits, granularity, calib, calibSamples, evalSamples, threads, bench, keep,
        };
        cmd.SetAction(pr =>
        {
            var g = FormatsPlan.ParseGranularity(pr.GetValue(granularity));
            var jobs = FormatsPlan.Jobs(pr.GetValue(formats), pr.GetValue(bits), g, pr.GetValue(calib) is not null);
            return Execute(context(pr), new FormatsRequest(pr.GetValue(model)!, pr.GetValue(data)!, jobs, pr.GetValue(calib),
                pr.GetValue(calibSamples) ?? QuantizeOptions.DefaultCalibSamples, pr.GetValue(evalSamples) ?? QuantizeOptions.DefaultEvalSamples,
                pr.GetValue(threads), pr.GetValue(bench) ?? DefaultBenchSeconds, pr.GetValue(keep)));
        });
        return cmd;
    }

    private static int Execute(CliContext ctx, FormatsRequest req)
    {
        var clock = Stopwatch.StartNew();
        if (!File.Exists(req.Model)) throw new LowBitException(ErrorKind.FileNotFound, $"{req.Model}: file not found");
        if (req.Keep is not null) FormatsPlan.CheckKeep(req.Keep);
        ctx.Trace($"loading {req.Model}");
        var graph = OnnxImporter.Load(req.Model);
        QuantizePipeline.ThrowIfQuantized(graph, req.Model);
        UnsupportedOps.ThrowIfAny(graph, req.Model);
        var input = ModelData.SingleInput(graph, req.Model);
        var text = FormatsText.TryOpen(graph, req.Model, req.Data, input, req.EvalSamples);
        var eval = text is null ? ModelData.Open(req.Data, input, "--data") : null;
        var warnings = eval is null ? [] : DataSanity.Check(req.Model, eval, input.Name, req.Data).ToList();
        int evalCount = text?.Sequences ?? Math.Min(req.EvalSamples, eval!.Count);
        var calib = req.CalibData is null ? null : ModelData.Open(req.CalibData, input, "--calib-data");
        if (req.CalibData is not null && !req.Jobs.Any(j => j.Static))
            warnings.Add($"--calib-data {req.CalibData}: no 8-bit integer format selected, so no static W8A8 row; ignored");
        foreach (var w in warnings) ctx.Warn(w);

        var folders = new NewFolders();
        string dir = req.Keep is null ? Directory.CreateTempSubdirectory("lowbit-formats-").FullName : folders.Create(req.Keep);
        bool done = false;
        try
        {
            var shared = new FormatsShared(req.Model, graph, GraphPreparation.Run(graph).Graph, eval, text, evalCount, calib,
                calib is null ? 0 : Math.Min(req.CalibSamples, calib.Count), QuantReportBuilder.BenchInputs(graph, input, eval), dir, req.Threads);
            var rows = new List<FormatRow>();
            for (int i = 0; i < req.Jobs.Count; i++)
            {
                ctx.ThrowIfCancelled();
                var job = req.Jobs[i];
                ctx.Err.WriteLine($"lowbit: [{i + 1}/{req.Jobs.Count}] {job.Id} ({job.ModeName}, {job.Granularity}): quantizing and evaluating");
                ctx.Err.Flush();
                var row = FormatsRunner.Run(ctx, job, shared);
                rows.Add(row);
                ctx.Err.WriteLine($"lowbit: [{i + 1}/{req.Jobs.Count}] {job.Id}: {FormatsPrinter.Summary(row)}");
                ctx.Err.Flush();
            }
            double? floatPpl = text?.Perplexity(req.Model, req.Threads, ctx.Cancellation);
            var (floatMs, runs) = Latency(ctx, req, rows, shared);
            var measured = rows.FirstOrDefault(r => r.Accuracy is not null && r.AccuracyDelta is not null);
            var result = new FormatsResult("formats", Format.FullPath(req.Model), eval?.Name ?? text!.Data.Name, evalCount, FormatsPlan.Describe(req.Jobs), req.Threads,
                new FileInfo(req.Model).Length, measured is null ? null : measured.Accuracy - measured.AccuracyDelta, floatMs, runs,
                req.Keep is null ? rows.Select(r => r with { File = null }).ToList() : rows, req.Keep is null ? null : Path.GetFullPath(req.Keep),
                warnings, Math.Round(clock.Elapsed.TotalSeconds, 2)) { FloatPerplexity = floatPpl is double f ? Math.Round(f, 4) : null };
            done = true;
            if (ctx.Json) ctx.WriteJson(result);
            else FormatsPrinter.Print(ctx.Console, result);
            return ErrorBoundary.Ok;
        }
        finally
        {
            if (req.Keep is null) TryDelete(dir);
            else if (!done) folders.RemoveAll();
        }
    }

    /// <summary>ONNX Runtime median latency of the float file and every quantized file, interleaved, filled into the rows
    /// in place; (float ms, runs per file), or nulls with --bench-seconds 0 or no file to time.</summary>
    private static (double?, int?) Latency(CliContext ctx, FormatsRequest req, List<FormatRow> rows, FormatsShared s)
    {
        var ok = rows.Select((r, i) => (r, i)).Where(x => x.r.Ok).ToList();
        if (req.BenchSeconds <= 0 || ok.Count == 0) return (null, null);
        ctx.Err.WriteLine($"lowbit: measuring ONNX Runtime latency of {ok.Count + 1} files, interleaved ({req.BenchSeconds * (ok.Count + 1):0.#} s)");
        ctx.Err.Flush();
        var m = LatencyCompare.Measure([req.Model, .. ok.Select(x => x.r.File!)], s.OneCall, req.Threads, req.BenchSeconds * (ok.Count + 1), ctx.Cancellation);
        double floatMs = m[0].MedianMs;
        for (int k = 0; k < ok.Count; k++)
            rows[ok[k].i] = ok[k].r with { LatencyMs = Math.Round(m[k + 1].MedianMs, 4), LatencyRatio = Math.Round(m[k + 1].MedianMs / floatMs, 4) };
        return (Math.Round(floatMs, 4), m.Min(x => x.Runs));
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
