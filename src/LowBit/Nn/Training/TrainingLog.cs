using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LowBit.Nn.Training;

/// <summary>Compact validation figures of one epoch. Accuracy is top-1 (token accuracy for language models).</summary>
public sealed record ValidationRecord(int Samples, double Loss, double Accuracy, double? Top5, double? Perplexity)
{
    public static ValidationRecord Of(EvaluationResult r) => r.Classification is { } c
        ? new ValidationRecord(c.Samples, c.Loss, c.Top1, c.Top5, null)
        : new ValidationRecord(r.Samples, r.LanguageModel!.Loss, r.LanguageModel.Accuracy, null, r.LanguageModel.Perplexity);
}

/// <summary>
/// One finished epoch (1-based <see cref="Epoch"/>). Training loss/accuracy are means over the epoch's steps as they ran
/// (dropout and augmentation on, label smoothing included in the loss); <see cref="LearningRate"/> is the rate of the
/// epoch's last step; seconds and samples/s cover the training steps including waits for their batches (not validation,
/// not checkpoints); tokens/s is set for language models.
/// </summary>
public sealed record EpochRecord(
    int Epoch, int Steps, long Samples, double TrainLoss, double TrainAccuracy, double LearningRate,
    double SamplesPerSecond, double? TokensPerSecond, double Seconds, double ValidationSeconds, ValidationRecord? Validation);

/// <summary>How a run ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrainingOutcome>))]
public enum TrainingOutcome
{
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
    [JsonStringEnumMemberName("numerical_error")] NumericalError,
}

/// <summary>
/// The JSON training log (<c>format</c> "lowbit-training-log", version 1): the resolved config and its hash, the data,
/// every epoch, and the final validation metrics (full per-class figures for classifiers).
/// </summary>
public sealed record TrainingLog
{
    public string Format { get; init; } = "lowbit-training-log";
    public int Version { get; init; } = 1;
    public required string Model { get; init; }
    public required TrainingConfig Config { get; init; }
    public required string ConfigHash { get; init; }
    public required long Parameters { get; init; }
    public required string TrainData { get; init; }
    public string? ValidationData { get; init; }
    public required int StepsPerEpoch { get; init; }
    public List<EpochRecord> Epochs { get; init; } = new();
    /// <summary>Checkpoints this run resumed from, in order.</summary>
    public List<string> ResumedFrom { get; init; } = new();
    public TrainingOutcome Outcome { get; set; } = TrainingOutcome.Completed;
    public double TotalSeconds { get; set; }
    public EvaluationResult? Final { get; set; }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Writes the log atomically.</summary>
    public void Save(string path) => Onnx.AtomicFile.WriteAllText(path, ToJson() + "\n");

    /// <summary>The conventional log path of a model file: <c>fcnn.onnx</c> → <c>fcnn.train.json</c>.</summary>
    public static string PathFor(string modelPath) => Path.ChangeExtension(modelPath, null) + ".train.json";
}

/// <summary>Reported after every training step.</summary>
public sealed record StepProgress(
    int Epoch, int Epochs, int Step, int StepsPerEpoch, long GlobalStep, long TotalSteps, double Loss, double RunningLoss,
    double RunningAccuracy, double LearningRate, double SamplesPerSecond, TimeSpan? Eta);
