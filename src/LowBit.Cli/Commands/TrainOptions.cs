using System.CommandLine;
using LowBit.Nn.Training;

namespace LowBit.Cli.Commands;

/// <summary>The options of <c>lowbit train</c>. Every hyperparameter is nullable: unset means "the checkpoint's value"
/// with --resume, else "the model's recipe", so only flags actually given can conflict with a checkpoint.</summary>
internal sealed class TrainOptions
{
    public Argument<string> Model { get; } = new("model") { Description = "Zoo model: " + string.Join(", ", Nn.Zoo.ModelZoo.Names) };
    public Option<string?> Dataset { get; } = new("--dataset", "-d") { Description = "Training data spec: fashion-mnist, fashion-mnist-1k, images=DIR, idx=..., text=FILE[,seq=T] (see docs/cli.md)", HelpName = "SPEC" };
    public Option<string?> Validation { get; } = new("--validation") { Description = "Validation data spec, or none (default: fashion-mnist → fashion-mnist:test; text → its last 10 %)", HelpName = "SPEC" };
    public Option<string?> Out { get; } = new("--out", "-o") { Description = "Trained model file (default: MODEL.onnx)", HelpName = "FILE" };
    public Option<bool> Force { get; } = CommonOptions.Force();
    public Option<string?> Log { get; } = new("--log") { Description = "JSON training log (default: OUT without .onnx + .train.json)", HelpName = "FILE" };
    public Option<int?> Epochs { get; } = Positive("--epochs", "Epochs (default: the model's recipe)");
    public Option<int?> Batch { get; } = Positive("--batch", "Batch size");
    public Option<string?> Optimizer { get; } = Choice("--optimizer", "sgd or adamw", "sgd", "adamw");
    public Option<double?> Lr { get; } = new("--lr") { Description = "Peak learning rate", HelpName = "X" };
    public Option<double?> Momentum { get; } = new("--momentum") { Description = "SGD momentum / AdamW β₁ (default 0.9)", HelpName = "X" };
    public Option<double?> WeightDecay { get; } = new("--weight-decay", "--wd") { Description = "Weight decay λ (not on biases and norm scales)", HelpName = "X" };
    public Option<string?> Schedule { get; } = Choice("--schedule", "cosine (with warm-up; default), step or constant", "cosine", "step", "constant");
    public Option<double?> Warmup { get; } = new("--warmup") { Description = "Linear warm-up length in epochs (fractions allowed)", HelpName = "EPOCHS" };
    public Option<int?> StepEvery { get; } = Positive("--step-every", "Step schedule: decay every N epochs (default epochs/3)");
    public Option<double?> Gamma { get; } = new("--gamma") { Description = "Step schedule: decay factor (default 0.1)", HelpName = "X" };
    public Option<double?> LabelSmoothing { get; } = new("--label-smoothing") { Description = "Label smoothing ε in [0, 1)", HelpName = "X" };
    public Option<double?> GradClip { get; } = new("--grad-clip") { Description = "Clip the global gradient norm (0 = off)", HelpName = "X" };
    public Option<string?> Augment { get; } = Choice("--augment", "Random crop + flip on training images: on or off", "on", "off");
    public Option<int?> Seed { get; } = new("--seed") { Description = "Seed of weights, shuffling, augmentation and dropout (default 0)", HelpName = "N" };
    public Option<int> Threads { get; } = CommonOptions.Threads();
    public Option<string?> CheckpointDir { get; } = new("--checkpoint-dir") { Description = "Checkpoint folder, or none (default: checkpoints/MODEL beside --out; with --resume, the resumed folder)", HelpName = "DIR" };
    public Option<int?> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Also checkpoint every N steps (default: every epoch only)", HelpName = "N" };
    public Option<int?> MaxSteps { get; } = Positive("--max-steps", "At most N steps per epoch (smoke runs)");
    public Option<int?> MaxVal { get; } = Positive("--max-val", "Validate on at most N samples (smoke runs)");
    public Option<string?> Attention { get; } = Choice("--attention",
        "vit-tiny / gpt-tiny attention: vanilla (default), clipped-softmax or gated (Bondarenko et al. 2023: fewer activation outliers)",
        [.. Nn.Zoo.AttentionKinds.Names]);
    public Option<string?> Resume { get; } = new("--resume") { Description = "Continue from a checkpoint folder (its latest.json) exactly where it stopped", HelpName = "DIR" };

    public IEnumerable<Symbol> All =>
    [
        Model, Dataset, Validation, Out, Force, Log, Epochs, Batch, Optimizer, Lr, Momentum, WeightDecay, Schedule, Warmup, StepEvery, Gamma,
        LabelSmoothing, GradClip, Augment, Seed, Threads, CheckpointDir, CheckpointEvery, MaxSteps, MaxVal, Attention, Resume, .. Distillation.All, .. Alignment.All,
    ];

    public AlignmentOptions Alignment { get; } = new();
    public DistillationOptions Distillation { get; } = new();

    private static Option<int?> Positive(string name, string description) => CommonOptions.AtLeast(name, 1, description);

    private static Option<string?> Choice(string name, string description, params string[] values)
    {
        var o = new Option<string?>(name) { Description = description };
        o.AcceptOnlyFromAmong(values);
        return o;
    }

    /// <summary>The config: flags given, else the checkpoint's values (with --resume), else the model's recipe.
    /// Run-control fields (threads, checkpointing) never come from the checkpoint.</summary>
    public TrainingConfig ToConfig(ParseResult pr, string model, TrainingConfig? ck, string outPath)
    {
        var optimizer = pr.GetValue(Optimizer) switch { "sgd" => OptimizerKind.Sgd, "adamw" => OptimizerKind.AdamW, _ => ck?.Optimizer };
        bool sameOptimizer = ck is not null && optimizer == ck.Optimizer;
        return new TrainingConfig(model, pr.GetValue(Dataset) ?? ck?.Dataset ?? "",
            epochs: pr.GetValue(Epochs) ?? ck?.Epochs,
            batchSize: pr.GetValue(Batch) ?? ck?.BatchSize,
            optimizer: optimizer,
            learningRate: pr.GetValue(Lr) ?? ck?.LearningRate,
            momentum: pr.GetValue(Momentum) ?? ck?.Momentum,
            weightDecay: pr.GetValue(WeightDecay) ?? ck?.WeightDecay,
            schedule: pr.GetValue(Schedule) switch { "cosine" => ScheduleKind.Cosine, "step" => ScheduleKind.Step, "constant" => ScheduleKind.Constant, _ => ck?.Schedule },
            warmupEpochs: pr.GetValue(Warmup) ?? ck?.WarmupEpochs,
            stepEpochs: pr.GetValue(StepEvery) ?? ck?.StepEpochs,
            stepGamma: pr.GetValue(Gamma) ?? ck?.StepGamma,
            labelSmoothing: pr.GetValue(LabelSmoothing) ?? ck?.LabelSmoothing,
            gradClip: pr.GetValue(GradClip) ?? ck?.GradClip,
            augment: pr.GetValue(Augment) switch { "on" => true, "off" => false, _ => ck?.Augment },
            seed: pr.GetValue(Seed) ?? ck?.Seed ?? 0,
            threads: pr.GetValue(Threads),
            validationDataset: pr.GetValue(Validation) ?? ck?.ValidationDataset,
            checkpointDir: CheckpointFolder(pr, model, outPath, ck is not null),
            checkpointEverySteps: pr.GetValue(CheckpointEvery) ?? 0,
            maxStepsPerEpoch: pr.GetValue(MaxSteps) ?? ck?.MaxStepsPerEpoch,
            maxValidationSamples: pr.GetValue(MaxVal) ?? ck?.MaxValidationSamples,
            nesterov: sameOptimizer ? ck!.Nesterov : null, beta2: sameOptimizer ? ck!.Beta2 : null,
            attention: pr.GetValue(Attention) is string a ? Nn.Zoo.AttentionKinds.Parse(a) : ck?.Attention ?? Nn.Zoo.AttentionKind.Vanilla);
    }

    /// <summary>--checkpoint-dir (none: no checkpoints); else with --resume the checkpoint directory resumed from (the
    /// folder holding latest.json); else checkpoints/MODEL beside --out.</summary>
    private string? CheckpointFolder(ParseResult pr, string model, string outPath, bool resuming)
    {
        if (pr.GetValue(CheckpointDir) is string d) return d == "none" ? null : d;
        if (!resuming) return Path.Combine(Path.GetDirectoryName(outPath) ?? "", "checkpoints", model);
        string r = pr.GetValue(Resume)!;
        bool isOneCheckpoint = File.Exists(Path.Combine(r, Checkpoint.MetaFile)) && !File.Exists(Path.Combine(r, Checkpoint.PointerFile));
        return isOneCheckpoint ? Path.GetDirectoryName(Path.GetFullPath(r.TrimEnd('/', '\\'))) : r;
    }
}
