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
        string outPath = pr.GetValue(o.Out) ?? model + ".onnx";
        string logPath = pr.GetValue(o.Log) ?? TrainingLog.PathFor(outPath);
        CheckOutput(outPath, "--out");
        CheckOutput(logPath, "--log");
        var config = o.ToConfig(pr, model, checkpoint?.Config, outPath);
        ctx.Trace($"config {config.Hash()}: {config.IdentityJson()}");

        var trainer = checkpoint is null ? Trainer.Create(config) : Trainer.Resume(checkpoint, config);
        if (checkpoint is not null)
        {
            if (checkpoint.Config.Dataset != config.Dataset)
                ctx.Warn($"resuming on --dataset {config.Dataset}; the checkpoint trained on {checkpoint.Config.Dataset}");
            if (checkpoint.Config.Epochs != config.Epochs && config.Schedule != ScheduleKind.Constant)
                ctx.Warn($"--epochs {config.Epochs} (checkpoint: {checkpoint.Config.Epochs}) changes the learning-rate schedule from here on");
        }
        trainer.LogPath = logPath;
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

    /// <summary>Fails before training (not after it) when an output path cannot be written.</summary>
    private static void CheckOutput(string path, string flag)
    {
        if (Directory.Exists(path)) throw new LowBitException(ErrorKind.Usage, $"{flag} {path}: is a folder; give a file name");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && File.Exists(dir)) throw new LowBitException(ErrorKind.Usage, $"{flag} {path}: {dir} is a file, not a folder");
    }
}
