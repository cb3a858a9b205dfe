using System.CommandLine;
using LowBit.Cli.Demo;
using LowBit.Cli.Support;
using LowBit.Data;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>
/// <c>lowbit demo</c>: the README's first command. No arguments, nothing to install: the trained fashion-cnn and the
/// Fashion-MNIST test subset ship with LowBit (<see cref="Assets"/>). Quantizes with W8A8 per-channel, W8A8 per-tensor,
/// W4A8 and W8 weight-only, prints scheme, file size, accuracy, Δ vs FP32 and ONNX Runtime latency, and writes
/// demo-report/index.html (<see cref="DemoRunner"/>).
/// </summary>
internal static class DemoCommand
{
    public const string AssetName = "fashion-cnn";
    public const string AssetFile = "fashion-cnn.onnx";

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var model = new Option<string?>("--model", "-m") { Description = "Classifier to quantize instead of the shipped fashion-cnn (input [N,1,28,28], 10 classes)", HelpName = "FILE" };
        var output = new Option<string>("--out", "-o") { Description = "Report folder", HelpName = "DIR", DefaultValueFactory = _ => "demo-report" };
        var calib = CommonOptions.Int("--calib-samples", 1, 999, 200, "Calibration images (the first ones of the subset; accuracy is measured on the others)");
        var eval = CommonOptions.AtLeast("--eval-samples", 1, "Evaluate on at most N images (default: every image not used for calibration)");
        var compare = CommonOptions.Int("--compare-samples", 0, int.MaxValue, 64, "Images for each report's per-layer comparison (0 skips it)");
        var seconds = CommonOptions.Number("--bench-seconds", 0, exclusive: true, "Time budget of the latency measurement (all models interleaved; default 4)");
        var threads = CommonOptions.Threads();
        var cmd = new Command("demo", "Quantize the shipped Fashion-MNIST classifier four ways, compare size, accuracy and ONNX Runtime latency, write demo-report/index.html")
        {
            model, output, calib, eval, compare, seconds, threads,
        };
        cmd.SetAction(pr =>
        {
            string? given = pr.GetValue(model);
            var req = new DemoRequest(given ?? ShippedModel(), pr.GetValue(output)!, pr.GetValue(calib), pr.GetValue(eval), pr.GetValue(compare),
                pr.GetValue(seconds) ?? 4, pr.GetValue(threads));
            return Execute(context(pr), req, given is null ? req.Model : "--model " + given);
        });
        return cmd;
    }

    /// <summary>assets/fashion-cnn/fashion-cnn.onnx next to the program (copied by the build) or above the current folder.</summary>
    public static string ShippedModel()
    {
        string? dir = Assets.Find(AssetName);
        string? path = dir is null ? null : Path.Combine(dir, AssetFile);
        return path is not null && File.Exists(path) ? path
            : throw new LowBitException(ErrorKind.FileNotFound,
                $"the demo model assets/{AssetName}/{AssetFile} was not found next to the program or above the current folder; give one with --model FILE");
    }

    /// <summary>Checks the model and the output folder before creating anything; a run that fails later removes the
    /// folders it created (<see cref="NewFolders"/>). stdout is written only once the run succeeded.
    /// <paramref name="label"/> names the model in errors.</summary>
    private static int Execute(CliContext ctx, DemoRequest req, string label)
    {
        if (!File.Exists(req.Model)) throw new LowBitException(ErrorKind.FileNotFound, $"{label}: file not found");
        OutputFiles.CheckFolder("--out", req.OutDir);
        var model = DemoModel.Load(req.Model, label);
        var folders = new NewFolders();
        DemoResult result;
        try
        {
            result = ProgressDisplay.Run(ctx, p => DemoRunner.Run(ctx, req, model, folders, p));
        }
        catch
        {
            folders.RemoveAll();
            throw;
        }
        foreach (var w in result.Warnings) ctx.Warn(w);
        if (ctx.Json) ctx.WriteJson(result);
        else Print(ctx.Console, result);
        return ErrorBoundary.Ok;
    }

    private static void Print(IAnsiConsole c, DemoResult r)
    {
        c.MarkupLine($"[bold]LowBit demo[/]: {Markup.Escape(Path.GetFileName(r.Model))} on the Fashion-MNIST test subset " +
                     $"(calibrate on {r.CalibrationSamples} images, evaluate on the others), ONNX Runtime, {r.Threads} thread{(r.Threads == 1 ? "" : "s")}");
        c.MarkupLine($"CPU: {Markup.Escape(r.Cpu)} → {(r.ReduceRange ? "7-bit weights (reduce-range)" : "full 8-bit weights")}");
        var t = new Table().Border(TableBorder.Rounded).AddColumn("scheme");
        foreach (var h in new[] { "file size", "× FP32", "accuracy", "Δ vs FP32", "ORT latency", "× FP32" }) t.AddColumn(new TableColumn(h).RightAligned());
        foreach (var row in r.Rows)
            t.AddRow(Markup.Escape(row.Scheme), Format.Bytes(row.FileBytes), $"{row.SizeRatio:0.000}", $"{100 * row.Accuracy:0.00} %",
                row.Id == "fp32" ? "-" : $"{100 * row.AccuracyDelta:+0.00;-0.00;0.00} pts", $"{Format.Ms(row.LatencyMs)} ms", $"{row.LatencyRatio:0.00}");
        c.Write(t);
        c.MarkupLine($"accuracy on {r.EvalSamples} images not used for calibration; latency: median of ≥ {r.LatencyRuns} interleaved batch-1 runs per model");
        c.MarkupLine($"Report: {Markup.Escape(r.Report)} ({r.Seconds:0.0} s)");
    }
}
