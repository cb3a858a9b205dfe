using System.CommandLine;
using LowBit.Cli.Support;
using LowBit.Nn.Training;
using LowBit.Nn.Zoo;

namespace LowBit.Cli.Commands;

/// <summary>JSON result of <c>lowbit train</c> (docs/cli.md).</summary>
internal sealed record TrainResult(
    string Command, string Model, string Out, string Log, string? Vocabulary, string? Checkpoint, long Parameters,
    int StepsPerEpoch, string TrainData, string? ValidationData, IReadOnlyList<string> ResumedFrom,
    IReadOnlyList<EpochRecord> Epochs, EvaluationResult? Final, double TotalSeconds, TrainingConfig Config);

/// <summary>
/// <c>lowbit train MODEL --dataset SPEC [--epochs N] [--lr X] ... [--out FILE] [--resume DIR]</c>: trains a zoo model with
/// <see cref="Trainer"/>, shows progress on stderr, writes the ONNX model, a JSON training log and checkpoints.
/// Options left out take the model's recipe (<see cref="TrainingDefaults"/>); with --resume they take the checkpoint's.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var o = new TrainOptions();
        var cmd = new Command("train", "Train a zoo model (fashion-cnn, resnet8, mobilenet-v2-tiny, vit-tiny, gpt-tiny, ...) and export it to ONNX");
        foreach (var a in o.All) switch (a)
        {
            case Argument arg: cmd.Add(arg); break;
            case Option opt: cmd.Add(opt); break;
        }
        cmd.Validators.Add(r =>
        {
            if (r.GetResult(o.Dataset) is null && r.GetResult(o.Resume) is null)
                r.AddError("--dataset is required (e.g. --dataset fashion-mnist), unless --resume names a checkpoint");
        });
        cmd.SetAction(pr => Execute(context(pr), o, pr));
        return cmd;
    }

    private static int Execute(CliContext ctx, TrainOptions o, ParseResult pr)
    {
        string model = ModelZoo.Get(pr.GetValue(o.Model)!).Name;
        string? resumeDir = pr.GetValue(o.Resume);
        var checkpoint = resumeDir is null ? null : Checkpoint.Load(resumeDir);
        // With --resume, outputs not given on the command line are the interrupted run's (stored in its checkpoint).
        string? givenOut = pr.GetValue(o.Out);
        string outPath = givenOut ?? checkpoint?.Outputs?.Model ?? model + ".onnx";
        string logPath = pr.GetValue(o.Log) ?? (givenOut is null ? checkpoint?.Outputs?.Log : null) ?? TrainingLog.PathFor(outPath);
        var config = o.ToConfig(pr, model, checkpoint?.Config, outPath);
        ctx.Trace($"config {config.Hash()}: {config.IdentityJson()}");

        // Data and checkpoint compatibility first (their errors say more), then every output, all before the first step.
        var setup = o.Alignment.Apply(pr, o.Distillation.Apply(pr, new TrainerSetup()));
        var trainer = checkpoint is null ? Trainer.Create(config, setup) : Trainer.Resume(checkpoint, config, setup);
        CheckOutputs(outPath, logPath, pr.GetValue(o.Force));
        if (config.CheckpointDir is string ckDir) OutputFiles.CheckFolder("--checkpoint-dir", ckDir);
        if (checkpoint is not null)
        {
            if (checkpoint.Config.Dataset != config.Dataset)
                ctx.Warn($"resuming on --dataset {config.Dataset}; the checkpoint trained on {checkpoint.Config.Dataset}");
            if (checkpoint.Config.Epochs != config.Epochs && config.Schedule != ScheduleKind.Constant)
                ctx.Warn($"--epochs {config.Epochs} (checkpoint: {checkpoint.Config.Epochs}) changes the learning-rate schedule from here on");
        }
        trainer.LogPath = logPath;
        trainer.OutPath = outPath;
        TrainingDisplay.Run(ctx, trainer, () =>
        {
            try
            {
                trainer.Run(ctx.Cancellation);
            }
            catch (OperationCanceledException)
            {
                throw new LowBitException(ErrorKind.Cancelled, trainer.LastCheckpoint is string c
                    ? $"cancelled after step {trainer.Position.Step}; checkpoint {c}; continue with: lowbit train {model} --resume {config.CheckpointDir}"
                    : $"cancelled after step {trainer.Position.Step} (no checkpoint: --checkpoint-dir none)");
            }
        });
        trainer.Export(outPath);
        var log = trainer.Log;
        var result = new TrainResult("train", model, Format.FullPath(outPath), Format.FullPath(logPath),
            trainer.Vocabulary is null ? null : Format.FullPath(TrainedModel.VocabularyPathFor(outPath)), Format.FullPath(trainer.LastCheckpoint), log.Parameters,
            log.StepsPerEpoch, log.TrainData, log.ValidationData, log.ResumedFrom, log.Epochs, log.Final, log.TotalSeconds, config);
        if (ctx.Json) ctx.WriteJson(result);
        else TrainingDisplay.Summary(ctx.Console, result);
        return ErrorBoundary.Ok;
    }

    /// <summary>Fails before training (not after it) when an output could not be written or would destroy a file: the
    /// model is an .onnx file (an existing one is replaced only with --force), the log a .json file, all distinct.</summary>
    private static void CheckOutputs(string outPath, string logPath, bool force)
    {
        OutputFiles.CheckModel("--out", outPath, force, []);
        if (!logPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            throw new LowBitException(ErrorKind.Usage, $"--log {logPath}: the training log is JSON; give it a .json name");
        OutputFiles.CheckFile("--log", logPath, [outPath]);
        OutputFiles.CheckDistinct(("--out", outPath), ("--log", logPath), ("--out vocabulary", TrainedModel.VocabularyPathFor(outPath)));
    }
}
