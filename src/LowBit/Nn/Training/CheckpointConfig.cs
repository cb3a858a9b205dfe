using System.Text.Json.Nodes;
using LowBit.Nn.Zoo;

namespace LowBit.Nn.Training;

/// <summary>Reads a <see cref="TrainingConfig"/> back from its JSON (snake_case, as <see cref="TrainingLog.JsonOptions"/>
/// writes it) through the validating constructor.</summary>
internal static class CheckpointConfig
{
    public static TrainingConfig Read(JsonNode c)
    {
        T? Get<T>(string key) where T : struct => c[key] is JsonNode n ? n.GetValue<T>() : null;
        string? Str(string key) => c[key] is JsonNode n ? n.GetValue<string>() : null;
        var optimizer = Str("optimizer") switch
        {
            "sgd" => OptimizerKind.Sgd,
            "adamw" => OptimizerKind.AdamW,
            var s => throw new FormatException($"unknown optimizer '{s}'"),
        };
        var schedule = Str("schedule") switch
        {
            "cosine" => ScheduleKind.Cosine,
            "step" => ScheduleKind.Step,
            "constant" => ScheduleKind.Constant,
            var s => throw new FormatException($"unknown schedule '{s}'"),
        };
        return new TrainingConfig(
            Str("model") ?? throw new FormatException("no model"), Str("dataset") ?? throw new FormatException("no dataset"),
            epochs: Get<int>("epochs"), batchSize: Get<int>("batch_size"), optimizer: optimizer,
            learningRate: Get<double>("learning_rate"), momentum: Get<double>("momentum"), weightDecay: Get<double>("weight_decay"),
            schedule: schedule, warmupEpochs: Get<double>("warmup_epochs"), stepEpochs: Get<int>("step_epochs"),
            stepGamma: Get<double>("step_gamma"), labelSmoothing: Get<double>("label_smoothing"), gradClip: Get<double>("grad_clip"),
            augment: Get<bool>("augment"), seed: Get<int>("seed") ?? 0, threads: Get<int>("threads"),
            validationDataset: Str("validation_dataset"), checkpointDir: Str("checkpoint_dir"),
            checkpointEverySteps: Get<int>("checkpoint_every_steps") ?? 0, maxStepsPerEpoch: Get<int>("max_steps_per_epoch"),
            maxValidationSamples: Get<int>("max_validation_samples"), nesterov: Get<bool>("nesterov"), beta2: Get<double>("beta2"),
            // absent in checkpoints written before the field existed: vanilla, as they trained
            attention: Str("attention") is string att ? AttentionKinds.Parse(att) : AttentionKind.Vanilla);
    }
}
