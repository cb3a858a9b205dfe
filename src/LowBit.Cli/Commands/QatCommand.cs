using System.CommandLine;
using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Nn.Qat;
using LowBit.Nn.Training;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Cli.Commands;

/// <summary>Top-1 accuracies of <c>lowbit qat</c> on the validation data (fractions): the float model, the post-training
/// start and the trained file in ONNX Runtime, the trained file in LowBit, and the training graph's own last validation.</summary>
internal sealed record QatAccuracy(string Data, int Samples, double Float, double PostTraining, double Trained, double TrainedLowbit, double? TrainingGraph);

/// <summary>JSON result of <c>lowbit qat</c> (docs/cli.md).</summary>
internal sealed record QatResult(string Command, string Model, string Out, string Manifest, string Log, string Method, string Weights,
    string? Activations, string? Teacher, int CalibrationSamples, IReadOnlyList<EpochRecord> Epochs, QatAccuracy? Accuracy,
    double TrainingSeconds, double TotalSeconds, IReadOnlyList<string> Warnings, QatRetrainInfo? Retrain = null);

/// <summary>
/// <c>lowbit qat MODEL --dataset SPEC --out FILE [--weights F] [--activations F] [--method ste|lsq|pact] [--teacher FILE]</c>:
/// quantization-aware training (<see cref="QatModel"/>). Post-training quantization on the first samples of the training
/// data starts it; <see cref="Trainer.ForGraph"/> fine-tunes the fake-quantized graph; the trained weights and scales are
/// exported as standard QDQ ONNX with its manifest, checked in ONNX Runtime, and the float, post-training and trained
/// accuracies are measured in ONNX Runtime on the validation data (the trained one in LowBit as well).
/// </summary>
internal static class QatCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var o = new QatOptions();
        var cmd = new Command("qat", "Quantization-aware training of a float ONNX classifier (LSQ, PACT, STE or BitNet; distillation, alignment, partial retraining); writes QDQ ONNX like quantize");
        foreach (var s in o.All) SensitivityCommand.Add(cmd, s);
        cmd.SetAction(pr => Execute(context(pr), o, pr));
        return cmd;
    }

    private static int Execute(CliContext ctx, QatOptions o, ParseResult pr)
    {
        var clock = Stopwatch.StartNew();
        string model = pr.GetValue(o.Quantize.Model)!, output = pr.GetValue(o.Quantize.Out)!;
        string manifest = QuantizedModel.ManifestPathFor(output);
        string logPath = pr.GetValue(o.Log) ?? TrainingLog.PathFor(output);
        string? teacherPath = pr.GetValue(o.Distillation.Teacher);
        CheckPaths(model, output, manifest, logPath, teacherPath, pr.GetValue(o.Quantize.Force));
        var method = QatOptions.ParseMethod(pr.GetValue(o.Method));
        var retrain = QatRetrain.Parse(pr.GetValue(o.Retrain));
        int saliencyBatches = pr.GetValue(o.SaliencyBatches) ?? QatRetrain.DefaultSaliencyBatches;
        var graph = OnnxImporter.Load(model);
        QuantizePipeline.ThrowIfQuantized(graph, model);
        var input = ModelData.SingleInput(graph, model);
        var config = o.Quantize.ToConfig(pr, graph.Nodes.Select(n => n.OpType).ToHashSet(StringComparer.Ordinal));
        var distill = o.Distillation.Apply(pr, new TrainerSetup());
        var teacher = distill.Teacher;
        if (teacher is not null) ModelData.CheckSameInput(input, model, teacher, teacherPath!);
        var training = o.ToTrainingConfig(pr, Path.GetFileNameWithoutExtension(model));
        int threads = training.Threads;
        var warnings = new List<string>();

        string calibSpec = pr.GetValue(o.Quantize.CalibData) ?? training.Dataset;
        var calib = config.Mode == QuantMode.Static || config.Algorithm.NeedsData ? ModelData.OpenSamples(calibSpec, graph, [], "--calib-data") : null;
        int calibCount = Math.Min(pr.GetValue(o.Quantize.CalibSamples) ?? QatOptions.DefaultCalibSamples, calib?.Count ?? 0);
        var validation = ImageTrainingData.ValidationSpec(training, DataSpec.Parse(training.Dataset)) is { } vs
            ? ModelData.Open(vs.ToString(), input, "--validation") : null;

        var qat = ProgressDisplay.Run(ctx, progress =>
        {
            ctx.Trace(calib is null ? "quantizing" : $"post-training quantization on {calibCount} samples of {calib.Name}");
            var copts = new CalibrationOptions(calibCount) { Threads = threads, Cancellation = ctx.Cancellation,
                AlgorithmProgress = PhaseProgress.Algorithm(progress, ctx, ConfigNames.Name(config.Algorithm.Algorithm)) };
            return QatModel.Prepare(graph, config, method, calib?.Take(calibCount), PhaseProgress.Calibration(progress), copts, Path.GetFullPath(model));
        });
        warnings.AddRange(qat.Initial.Warnings);
        var setup = new TrainerSetup
        {
            Parameters = qat.Parameters, NoWeightDecay = qat.ScaleNames.ToHashSet(StringComparer.Ordinal).Contains, AfterStep = qat.ClampScales,
            Teacher = teacher, DistillationWeight = distill.DistillationWeight, Temperature = distill.Temperature,
        };
        setup = o.Alignment.Apply(pr, setup);
        var partial = QatRetrain.Plan(ctx, qat, training, retrain, saliencyBatches);
        setup = QatRetrain.Apply(setup, partial, qat);
        var trainer = Trainer.ForGraph(training, qat.TrainingGraph, setup);
        trainer.LogPath = logPath;
        var trainClock = Stopwatch.StartNew();
        TrainingDisplay.Run(ctx, trainer, () =>
        {
            try { trainer.Run(ctx.Cancellation); }
            catch (OperationCanceledException) { throw new LowBitException(ErrorKind.Cancelled, $"cancelled after step {trainer.Position.Step}; nothing was written but the log {logPath}"); }
        });
        double trainSeconds = trainClock.Elapsed.TotalSeconds;

        var accuracy = ProgressDisplay.Run(ctx, progress =>
        {
            progress.Report("exporting", 0, null);
            var info = new TrainingInfo(method.ToString().ToLowerInvariant(), trainer.Log.TrainData, training.Epochs, trainer.Position.Step, training.BatchSize,
                training.LearningRate, teacherPath is null ? null : Path.GetFullPath(teacherPath), teacher is null ? null : setup.DistillationWeight,
                teacher is null ? null : setup.Temperature, trainer.Log.Final?.Accuracy);
            var q = qat.Export(info);
            ctx.ThrowIfCancelled();
            q.Save(output, model);
            try
            {
                ExportCheck.Run("--out", output, ModelData.CheckInputs(graph, input, calib), threads, [manifest]);
                return validation is null ? null : Measure(ctx, graph, input, validation, training.MaxValidationSamples, threads, qat, q, trainer, progress);
            }
            catch
            {
                OutputFiles.Remove(output, manifest);
                throw;
            }
        });
        if (validation is null && training.ValidationDataset != "none") warnings.Add($"no validation data for --dataset {training.Dataset}: give --validation SPEC to measure the accuracies");
        var result = new QatResult("qat", Format.FullPath(model), Format.FullPath(output), Format.FullPath(manifest), Format.FullPath(logPath),
            method.ToString().ToLowerInvariant(), config.Weights.Format.Name, config.Activations?.Format.Name, teacherPath is null ? null : Format.FullPath(teacherPath),
            calibCount, trainer.Log.Epochs, accuracy, Math.Round(trainSeconds, 1), Math.Round(clock.Elapsed.TotalSeconds, 1), warnings,
            QatRetrain.Info(retrain, partial, qat, saliencyBatches));
        foreach (var w in warnings) ctx.Warn(w);
        if (ctx.Json) ctx.WriteJson(result);
        else QatPrinter.Print(ctx.Console, result);
        return ErrorBoundary.Ok;
    }

    private static QatAccuracy Measure(CliContext ctx, Graph.Graph floatModel, Graph.ValueInfo input, Dataset data, int? samples, int threads,
        QatModel qat, QuantizedModel trained, Trainer trainer, IPhaseProgress progress)
    {
        var ort = new OrtAccuracy(ctx, floatModel, input, data, samples, threads, progress);
        double ptq = ort.Top1(qat.Initial.Graph, "post-training"), qatTop1 = ort.Top1(trained.Graph, "trained");
        var session = new Session(trained.Graph, new SessionOptions(threads));
        string outName = trained.Graph.Outputs[0].Name;
        var mine = ImageTrainingData.Evaluate(data, x => session.Run(new Dictionary<string, Tensor> { [input.Name] = x })[outName],
            ModelData.BatchFor(input, EvalCommand.DefaultBatch), ort.Samples, ctx.Cancellation, (d, t) => progress.Report("evaluate trained (LowBit)", d, t));
        return new QatAccuracy(ort.DataName, ort.Samples, ort.FloatTop1, ptq, qatTop1, mine.Top1, trainer.Log.Final?.Accuracy);
    }

    /// <summary>As <c>quantize</c>: an .onnx output that is not an input, replaced only with --force; its manifest and the log
    /// distinct and writable.</summary>
    private static void CheckPaths(string model, string output, string manifest, string log, string? teacher, bool force)
    {
        if (!File.Exists(model)) throw new LowBitException(ErrorKind.FileNotFound, $"{model}: file not found");
        if (teacher is not null && !File.Exists(teacher)) throw new LowBitException(ErrorKind.FileNotFound, $"--teacher {teacher}: file not found");
        string[] inputs = teacher is null ? [model] : [model, teacher];
        if (OutputFiles.SamePath(model, output))
            throw new LowBitException(ErrorKind.UnsafePath, $"--out {output}: is the input model; choose another path (the float model is never overwritten)");
        OutputFiles.CheckModel("--out", output, force, inputs);
        OutputFiles.CheckFile("--out", manifest, inputs);
        if (!log.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            throw new LowBitException(ErrorKind.Usage, $"--log {log}: the training log is JSON; give it a .json name");
        OutputFiles.CheckFile("--log", log, inputs);
        OutputFiles.CheckDistinct(("--out", output), ("--out manifest", manifest), ("--log", log));
    }
}
