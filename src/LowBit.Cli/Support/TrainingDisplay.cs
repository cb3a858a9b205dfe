using System.Diagnostics;
using System.Globalization;
using LowBit.Cli.Commands;
using LowBit.Nn.Training;
using Spectre.Console;

namespace LowBit.Cli.Support;

/// <summary>
/// Training progress on stderr: a Spectre progress bar when stderr is a terminal (and not --json), else plain lines —
/// the first step, then at most one line per <see cref="PlainInterval"/>, the last step of every epoch, and one line per
/// epoch with its validation figures. The summary table goes to stdout.
/// </summary>
internal static class TrainingDisplay
{
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(10);

    public static void Run(CliContext ctx, Trainer trainer, Action train)
    {
        var c = trainer.Config;
        string unit = trainer.Vocabulary is null ? "img/s" : "seq/s";
        string header = $"training {c.Model} ({trainer.Log.Parameters:N0} parameters) on {trainer.Log.TrainData}: {trainer.StepsPerEpoch} steps/epoch × {c.Epochs} epochs, " +
            $"batch {c.BatchSize}, {(c.Optimizer == OptimizerKind.Sgd ? "sgd" : "adamw")} lr {Num(c.LearningRate)} {c.Schedule.ToString().ToLowerInvariant()}, seed {c.Seed}, {c.Threads} thread{(c.Threads == 1 ? "" : "s")}" +
            (trainer.Log.ValidationData is string v ? $"; validation {v}" : "; no validation") +
            (trainer.Position.Step > 0 ? $"; resumed at step {trainer.Position.Step} (epoch {trainer.Position.Epoch + 1}, batch {trainer.Position.NextBatch + 1})" : "");
        trainer.CheckpointSaved += path => ctx.Trace($"checkpoint {path}");
        if (ctx.InteractiveErr && !ctx.Json)
        {
            var console = CliContext.MakeConsole(ctx.Err, terminal: true);
            console.MarkupLine(Markup.Escape(header));
            console.Progress().AutoClear(true).HideCompleted(true)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                .Start(pc =>
                {
                    var task = pc.AddTask("starting", maxValue: Math.Max(1, trainer.TotalSteps));
                    task.Value = trainer.Position.Step;
                    trainer.StepCompleted += p =>
                    {
                        task.Value = p.GlobalStep;
                        task.Description = Markup.Escape(StepLine(p, unit));
                    };
                    trainer.ValidationProgress += (done, all) => task.Description = Markup.Escape($"epoch {trainer.Position.Epoch + 1}/{c.Epochs} validating {done}/{all}");
                    trainer.EpochCompleted += e => console.MarkupLine(Markup.Escape(EpochLine(e, c.Epochs, unit)));
                    train();
                });
            return;
        }
        ctx.Err.WriteLine(header);
        var clock = Stopwatch.StartNew();
        TimeSpan? last = null;
        trainer.StepCompleted += p =>
        {
            if (last is not null && clock.Elapsed - last < PlainInterval && p.Step != p.StepsPerEpoch) return;
            last = clock.Elapsed;
            ctx.Err.WriteLine(StepLine(p, unit));
            ctx.Err.Flush();
        };
        trainer.EpochCompleted += e =>
        {
            ctx.Err.WriteLine(EpochLine(e, c.Epochs, unit));
            ctx.Err.Flush();
        };
        train();
    }

    public static string StepLine(StepProgress p, string unit) =>
        $"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.StepsPerEpoch} loss {p.RunningLoss:0.0000} acc {Pct(p.RunningAccuracy)} " +
        $"{p.SamplesPerSecond:0.0} {unit} lr {Num(p.LearningRate)} ETA {Eta(p.Eta)}";

    public static string EpochLine(EpochRecord e, int epochs, string unit)
    {
        string val = e.Validation is not { } v ? "no validation"
            : v.Perplexity is double ppl ? $"val loss {v.Loss:0.0000} perplexity {ppl:0.000} acc {Pct(v.Accuracy)}"
            : $"val loss {v.Loss:0.0000} top-1 {Pct(v.Accuracy)} top-5 {Pct(v.Top5 ?? 0)}";
        return $"epoch {e.Epoch}/{epochs}: train loss {e.TrainLoss:0.0000} acc {Pct(e.TrainAccuracy)} | {val} | " +
               $"{e.SamplesPerSecond:0.0} {unit}, {e.Seconds:0.0} s + {e.ValidationSeconds:0.0} s validation";
    }

    public static void Summary(IAnsiConsole console, TrainResult r)
    {
        bool lm = r.Vocabulary is not null;
        var t = new Table().Border(TableBorder.Rounded);
        foreach (var h in new[] { "epoch", "train loss", "train acc", "val loss", lm ? "val ppl" : "val top-1", lm ? "val acc" : "val top-5", lm ? "seq/s" : "img/s", "seconds" })
            t.AddColumn(new TableColumn(h).RightAligned());
        foreach (var e in r.Epochs)
            t.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), $"{e.TrainLoss:0.0000}", Pct(e.TrainAccuracy),
                e.Validation is { } v ? $"{v.Loss:0.0000}" : "-",
                e.Validation is { } v1 ? (lm ? $"{v1.Perplexity:0.000}" : Pct(v1.Accuracy)) : "-",
                e.Validation is { } v2 ? (lm ? Pct(v2.Accuracy) : Pct(v2.Top5 ?? 0)) : "-",
                $"{e.SamplesPerSecond:0.0}", $"{e.Seconds + e.ValidationSeconds:0.0}");
        console.MarkupLine($"[bold]{Markup.Escape(r.Model)}[/]: {r.Parameters:N0} parameters, trained on {Markup.Escape(r.TrainData)}" +
                           (r.ValidationData is string vd ? $", validated on {Markup.Escape(vd)}" : ""));
        console.Write(t);
        if (r.Final?.Classification is { } f)
            console.MarkupLine($"final validation: top-1 [bold]{Pct(f.Top1)}[/], top-5 {Pct(f.Top5)}, loss {f.Loss:0.0000} on {f.Samples:N0} images");
        if (r.Final?.LanguageModel is { } l)
            console.MarkupLine($"final validation: perplexity [bold]{l.Perplexity:0.000}[/], loss {l.Loss:0.0000} nats/char, accuracy {Pct(l.Accuracy)} on {l.Tokens:N0} characters");
        console.MarkupLine($"wrote {Markup.Escape(Format.Shown(r.Out))} and {Markup.Escape(Format.Shown(r.Log))}" +
                           (r.Vocabulary is string voc ? $" and {Markup.Escape(Format.Shown(voc))}" : ""));
        if (r.Checkpoint is string ck) console.MarkupLine($"last checkpoint: {Markup.Escape(Format.Shown(ck))}");
    }

    public static string Pct(double fraction) => (fraction * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string Num(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string Eta(TimeSpan? eta) => eta is not TimeSpan e ? "?" : e.TotalHours >= 1 ? $"{(int)e.TotalHours}:{e:mm\\:ss}" : $"{e:mm\\:ss}";
}
