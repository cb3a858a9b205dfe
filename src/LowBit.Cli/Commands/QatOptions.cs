using System.CommandLine;
using LowBit.Nn.Qat;
using LowBit.Nn.Training;

namespace LowBit.Cli.Commands;

/// <summary>
/// The flags of <c>lowbit qat</c>: the quantization flags are <c>lowbit quantize</c>'s own (<see cref="QuantizeOptions"/>,
/// parsed by the same code, so defaults and errors agree), plus the method, distillation and the training flags of
/// <c>lowbit train</c> that fine-tuning uses (defaults: <see cref="TrainingDefaults.QuantizationAware"/>).
/// </summary>
internal sealed class QatOptions
{
    public const int DefaultCalibSamples = 512;

    public QuantizeOptions Quantize { get; } = new();

    public QatOptions() =>
        Quantize.CalibSamples.Description = $"Calibration samples of the post-training start, the first N of --calib-data (default {DefaultCalibSamples})";
    public AlignmentOptions Alignment { get; } = new();
    public DistillationOptions Distillation { get; } = new();
    public Option<string> Dataset { get; } = new("--dataset", "-d") { Description = "Labelled training data spec (fashion-mnist, images=DIR, idx=...; docs/cli.md)", HelpName = "SPEC", Required = true };
    public Option<string?> Validation { get; } = new("--validation") { Description = "Validation data spec, or none (default: fashion-mnist → fashion-mnist:test); the final accuracies are measured on it", HelpName = "SPEC" };
    public Option<string?> Method { get; } = new("--method") { Description = "ste (scales fixed), lsq (learned step sizes, default), pact (learned activation clipping) or bitnet (weight scales = mean |W| every step, or the median with --weight-range absmedian; use with --weights ternary)", HelpName = "METHOD" };
    public Option<int?> Epochs { get; } = CommonOptions.AtLeast("--epochs", 1, "Epochs (default 3)");
    public Option<int?> Batch { get; } = CommonOptions.AtLeast("--batch", 1, "Batch size (default 128)");
    public Option<string?> Optimizer { get; } = new("--optimizer") { Description = "sgd (default, Nesterov momentum 0.9) or adamw (transformers)", HelpName = "sgd|adamw" };
    public Option<double?> Lr { get; } = CommonOptions.Number("--lr", 0, exclusive: true, "Peak learning rate (default 0.001, SGD with Nesterov momentum, cosine decay)", "X");
    public Option<double?> WeightDecay { get; } = CommonOptions.Number("--weight-decay", 0, exclusive: false, "L2 weight decay (default 1e-4; never on biases and scales)", "X");
    public Option<string?> Augment { get; } = new("--augment") { Description = "Random crop + flip on training images: on (default) or off", HelpName = "on|off" };
    public Option<int?> Seed { get; } = new("--seed") { Description = "Seed of shuffling and augmentation (default 0)", HelpName = "N" };
    public Option<int?> MaxSteps { get; } = CommonOptions.AtLeast("--max-steps", 1, "At most N steps per epoch (smoke runs)");
    public Option<int?> MaxVal { get; } = CommonOptions.AtLeast("--max-val", 1, "Validate and measure the final accuracies on at most N samples (smoke runs)");
    public Option<string?> Retrain { get; } = new("--retrain") { Description = "Which quantized weights train: all (default), salient-layers:F (the fraction F of weight tensors with the largest saliency Σ|∂L/∂w·w|) salient-weights:F (the fraction F of weight elements) or random-weights:F (F drawn at random, the control)", HelpName = "SCOPE" };
    public Option<int?> SaliencyBatches { get; } = CommonOptions.AtLeast("--saliency-batches", 1, "Training batches the saliency of --retrain is measured on (default 8)");
    public Option<string?> Log { get; } = new("--log") { Description = "JSON training log (default: OUT without .onnx + .train.json)", HelpName = "FILE" };

    public IEnumerable<Symbol> All =>
    [
        Quantize.Model, Quantize.Out, Quantize.Force, Dataset, Validation, Method, .. Distillation.All,
        Quantize.Weights, Quantize.Granularity, Quantize.Scheme, Quantize.WeightRange, Quantize.Activations, Quantize.ActivationScheme,
        Quantize.Calibration, Quantize.CalibData, Quantize.CalibSamples, Quantize.Algorithm, Quantize.Iterations, Quantize.Exclude, Quantize.Recipe,
        Quantize.ReduceRange, Quantize.Pack, Quantize.Opset,
        Epochs, Batch, Optimizer, Lr, WeightDecay, Augment, Seed, Quantize.Threads, MaxSteps, MaxVal, Log, Retrain, SaliencyBatches, .. Alignment.All,
    ];

    public static QatMethod ParseMethod(string? s) => s?.Trim().ToLowerInvariant() switch
    {
        null or "lsq" => QatMethod.Lsq,
        "ste" => QatMethod.Ste,
        "pact" => QatMethod.Pact,
        "bitnet" => QatMethod.BitNet,
        _ => throw new LowBitException(ErrorKind.Usage, $"--method {s}: unknown method; use ste, lsq, pact or bitnet"),
    };

    public TrainingConfig ToTrainingConfig(ParseResult pr, string label) => new(label, pr.GetValue(Dataset)!,
        epochs: pr.GetValue(Epochs), batchSize: pr.GetValue(Batch), learningRate: pr.GetValue(Lr), weightDecay: pr.GetValue(WeightDecay),
        optimizer: pr.GetValue(Optimizer) switch
        {
            null => null,
            "sgd" => OptimizerKind.Sgd,
            "adamw" => OptimizerKind.AdamW,
            var x => throw new LowBitException(ErrorKind.Usage, $"--optimizer {x}: use sgd or adamw"),
        },
        augment: pr.GetValue(Augment) switch
        {
            null => null,
            "on" => true,
            "off" => false,
            var a => throw new LowBitException(ErrorKind.Usage, $"--augment {a}: use on or off"),
        },
        seed: pr.GetValue(Seed) ?? 0, threads: pr.GetValue(Quantize.Threads), validationDataset: pr.GetValue(Validation),
        maxStepsPerEpoch: pr.GetValue(MaxSteps), maxValidationSamples: pr.GetValue(MaxVal), recipe: TrainingDefaults.QuantizationAware);
}
