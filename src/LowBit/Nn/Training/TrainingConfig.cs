using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LowBit.Nn.Zoo;

namespace LowBit.Nn.Training;

[JsonConverter(typeof(JsonStringEnumConverter<OptimizerKind>))]
public enum OptimizerKind
{
    [JsonStringEnumMemberName("sgd")] Sgd,
    [JsonStringEnumMemberName("adamw")] AdamW,
}

[JsonConverter(typeof(JsonStringEnumConverter<ScheduleKind>))]
public enum ScheduleKind
{
    /// <summary>Linear warm-up, then cosine decay to 0 at the last step (<see cref="Optim.CosineSchedule"/>).</summary>
    [JsonStringEnumMemberName("cosine")] Cosine,
    /// <summary>η₀·γ^⌊epoch / k⌋ (<see cref="Optim.StepSchedule"/>), after the warm-up.</summary>
    [JsonStringEnumMemberName("step")] Step,
    [JsonStringEnumMemberName("constant")] Constant,
}

/// <summary>
/// Everything that defines a training run. Parameters left null take the model's defaults (<see cref="TrainingDefaults"/>);
/// the constructor resolves and validates them, so a constructed config is complete. Two groups of fields:
/// <list type="bullet">
/// <item>identity (<see cref="IdentityJson"/>, hashed into <see cref="Hash"/>): what a checkpoint must agree on to be
/// continued exactly (model, optimizer, hyperparameters, seed, batch size, augmentation);</item>
/// <item>run control (<see cref="Dataset"/> location, <see cref="Epochs"/>, threads, checkpointing, smoke-run limits): may
/// change between a stop and a resume.</item>
/// </list>
/// </summary>
public sealed record TrainingConfig
{
    public TrainingConfig(string model, string dataset, int? epochs = null, int? batchSize = null, OptimizerKind? optimizer = null,
        double? learningRate = null, double? momentum = null, double? weightDecay = null, ScheduleKind? schedule = null,
        double? warmupEpochs = null, int? stepEpochs = null, double? stepGamma = null, double? labelSmoothing = null,
        double? gradClip = null, bool? augment = null, int seed = 0, int? threads = null, string? validationDataset = null,
        string? checkpointDir = null, int checkpointEverySteps = 0, int? maxStepsPerEpoch = null, int? maxValidationSamples = null,
        bool? nesterov = null, double? beta2 = null, ModelRecipe? recipe = null, AttentionKind attention = AttentionKind.Vanilla)
    {
        // A recipe makes the model a free label (a model file); otherwise it is a zoo name and brings its recipe.
        var d = recipe ?? TrainingDefaults.For(ModelZoo.Get(model).Name);
        Model = recipe is null ? ModelZoo.Get(model).Name : model;
        Dataset = string.IsNullOrWhiteSpace(dataset) ? throw Bad("dataset", "a data spec is required (e.g. fashion-mnist)") : dataset.Trim();
        ValidationDataset = validationDataset;
        Epochs = epochs ?? d.Epochs;
        BatchSize = batchSize ?? d.BatchSize;
        Optimizer = optimizer ?? d.Optimizer;
        bool sameOptimizer = Optimizer == d.Optimizer;
        LearningRate = learningRate ?? (sameOptimizer ? d.LearningRate : Optimizer == OptimizerKind.Sgd ? 0.05 : 1e-3);
        Momentum = momentum ?? 0.9;
        Nesterov = nesterov ?? (Optimizer == OptimizerKind.Sgd && d.Nesterov);
        Beta2 = beta2 ?? d.Beta2;
        WeightDecay = weightDecay ?? (sameOptimizer ? d.WeightDecay : Optimizer == OptimizerKind.Sgd ? 5e-4 : 0.01);
        Schedule = schedule ?? ScheduleKind.Cosine;
        // The recipe's warm-up, but at most a fifth of a shorter run.
        WarmupEpochs = warmupEpochs ?? Math.Min(d.WarmupEpochs, 0.2 * Epochs);
        StepEpochs = stepEpochs ?? Math.Max(1, Epochs / 3);
        StepGamma = stepGamma ?? 0.1;
        LabelSmoothing = labelSmoothing ?? d.LabelSmoothing;
        GradClip = gradClip ?? d.GradClip;
        Augment = augment ?? d.Augment;
        Seed = seed;
        Threads = threads ?? Environment.ProcessorCount;
        CheckpointDir = string.IsNullOrWhiteSpace(checkpointDir) ? null : checkpointDir;
        CheckpointEverySteps = checkpointEverySteps;
        MaxStepsPerEpoch = maxStepsPerEpoch;
        MaxValidationSamples = maxValidationSamples;
        Attention = attention;
        Validate();
    }

    /// <summary>Zoo model name (canonical spelling), or the label of a model file.</summary>
    public string Model { get; init; }
    /// <summary>Training data spec (<see cref="Data.DataSpec"/>).</summary>
    public string Dataset { get; init; }
    /// <summary>Validation data spec; null derives it (fashion-mnist train → test; text → its held-out tail);
    /// "none" turns validation off.</summary>
    public string? ValidationDataset { get; init; }
    public int Epochs { get; init; }
    public int BatchSize { get; init; }
    public OptimizerKind Optimizer { get; init; }
    /// <summary>Peak learning rate η₀ (after warm-up).</summary>
    public double LearningRate { get; init; }
    /// <summary>SGD momentum μ; AdamW β₁.</summary>
    public double Momentum { get; init; }
    public bool Nesterov { get; init; }
    /// <summary>AdamW β₂.</summary>
    public double Beta2 { get; init; }
    /// <summary>λ: L2 for SGD (PyTorch's weight_decay), decoupled for AdamW. Never applied to biases and norm scales
    /// (<see cref="Parameters.NoWeightDecay"/>).</summary>
    public double WeightDecay { get; init; }
    public ScheduleKind Schedule { get; init; }
    /// <summary>Linear warm-up length in epochs (fractional allowed), converted to whole steps.</summary>
    public double WarmupEpochs { get; init; }
    /// <summary>Step schedule: decay every k epochs by <see cref="StepGamma"/>.</summary>
    public int StepEpochs { get; init; }
    public double StepGamma { get; init; }
    public double LabelSmoothing { get; init; }
    /// <summary>Max global gradient L2 norm; 0 = no clipping.</summary>
    public double GradClip { get; init; }
    /// <summary>Random crop (zero pad 2 px on 28×28 images, side/8 on larger ones) and horizontal flip on training images.</summary>
    public bool Augment { get; init; }
    public int Seed { get; init; }
    public int Threads { get; init; }
    /// <summary>Folder for checkpoints (null: none are written).</summary>
    public string? CheckpointDir { get; init; }
    /// <summary>Also checkpoint every this many steps (0: only at the end of every epoch).</summary>
    public int CheckpointEverySteps { get; init; }
    /// <summary>Smoke runs: at most this many steps per epoch.</summary>
    public int? MaxStepsPerEpoch { get; init; }
    /// <summary>Smoke runs: validate on at most this many samples (sequences for text).</summary>
    public int? MaxValidationSamples { get; init; }
    /// <summary>Attention of vit-tiny / gpt-tiny (<see cref="AttentionKind"/>; Bondarenko et al. 2023); vanilla for every other model.</summary>
    public AttentionKind Attention { get; init; }

    /// <summary>Throws a one-line <see cref="LowBitException"/> (<see cref="ErrorKind.Usage"/>) naming the first bad field.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw Bad("epochs", $"{Epochs} must be at least 1");
        if (BatchSize < 1) throw Bad("batch", $"{BatchSize} must be at least 1");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw Bad("lr", $"{LearningRate} must be a positive finite number");
        if (!(Momentum >= 0 && Momentum < 1)) throw Bad("momentum", $"{Momentum} must be in [0, 1)");
        if (Nesterov && (Optimizer != OptimizerKind.Sgd || Momentum == 0)) throw Bad("nesterov", "needs SGD with momentum > 0");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw Bad("beta2", $"{Beta2} must be in [0, 1)");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw Bad("weight-decay", $"{WeightDecay} must be finite and ≥ 0");
        if (!(WarmupEpochs >= 0 && WarmupEpochs <= Epochs)) throw Bad("warmup", $"{WarmupEpochs} epochs must be in [0, epochs = {Epochs}]");
        if (StepEpochs < 1) throw Bad("step-every", $"{StepEpochs} must be at least 1");
        if (!(StepGamma > 0 && StepGamma <= 1)) throw Bad("gamma", $"{StepGamma} must be in (0, 1]");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw Bad("label-smoothing", $"{LabelSmoothing} must be in [0, 1)");
        if (!(GradClip >= 0) || !double.IsFinite(GradClip)) throw Bad("grad-clip", $"{GradClip} must be finite and ≥ 0 (0 = off)");
        if (Threads < 1) throw Bad("threads", $"{Threads} must be at least 1");
        if (CheckpointEverySteps < 0) throw Bad("checkpoint-every", $"{CheckpointEverySteps} must be ≥ 0 (0 = every epoch only)");
        if (MaxStepsPerEpoch is < 1) throw Bad("max-steps", $"{MaxStepsPerEpoch} must be at least 1");
        if (MaxValidationSamples is < 1) throw Bad("max-val", $"{MaxValidationSamples} must be at least 1");
        if (Attention != AttentionKind.Vanilla && ModelZoo.All.FirstOrDefault(m => m.Name == Model)?.DefaultOptions is not (VitOptions or GptOptions))
            throw Bad("attention", $"{AttentionKinds.Name(Attention)}: {Model} has no attention; only vit-tiny and gpt-tiny take it");
    }

    private static LowBitException Bad(string flag, string why) => new(ErrorKind.Usage, $"--{flag}: {why}");

    /// <summary>The identity fields as (name, canonical value) pairs, in a fixed order; fields the optimizer or schedule
    /// does not use are "-".</summary>
    public IReadOnlyList<(string Name, string Value)> IdentityFields() =>
    [
        ("model", Model),
        ("optimizer", Optimizer == OptimizerKind.Sgd ? "sgd" : "adamw"),
        ("batch", Num(BatchSize)),
        ("lr", Num(LearningRate)),
        ("momentum", Num(Momentum)),
        ("nesterov", Nesterov ? "true" : "false"),
        ("beta2", Optimizer == OptimizerKind.AdamW ? Num(Beta2) : "-"),
        ("weight-decay", Num(WeightDecay)),
        ("schedule", Schedule.ToString().ToLowerInvariant()),
        ("warmup", Num(WarmupEpochs)),
        ("step-every", Schedule == ScheduleKind.Step ? Num(StepEpochs) : "-"),
        ("gamma", Schedule == ScheduleKind.Step ? Num(StepGamma) : "-"),
        ("label-smoothing", Num(LabelSmoothing)),
        ("grad-clip", Num(GradClip)),
        ("augment", Augment ? "on" : "off"),
        ("seed", Num(Seed)),
        ("attention", AttentionKinds.Name(Attention)),
    ];

    private static string Num(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Canonical JSON of the identity fields (what <see cref="Hash"/> digests).</summary>
    /// <remarks>attention = vanilla is left out, so configs (and checkpoints) from before the field existed keep their hash.</remarks>
    public string IdentityJson() => JsonSerializer.Serialize(IdentityFields()
        .Where(f => !(f.Name == "attention" && f.Value == AttentionKinds.Name(AttentionKind.Vanilla))).ToDictionary(f => f.Name, f => f.Value));

    /// <summary>First 16 hex digits of SHA-256(<see cref="IdentityJson"/>).</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(IdentityJson())))[..16];

    /// <summary>Identity fields whose values differ: "--lr 0.05 (checkpoint: 0.1)".</summary>
    public IReadOnlyList<string> IdentityDifferences(TrainingConfig requested)
    {
        var mine = IdentityFields();
        var theirs = requested.IdentityFields();
        var diffs = new List<string>();
        for (int i = 0; i < mine.Count; i++)
            if (mine[i].Value != theirs[i].Value)
                diffs.Add($"{(mine[i].Name == "model" ? "model" : "--" + mine[i].Name)} {theirs[i].Value} (checkpoint: {mine[i].Value})");
        return diffs;
    }
}
