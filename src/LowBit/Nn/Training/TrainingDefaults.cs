namespace LowBit.Nn.Training;

/// <summary>A model's default recipe (used for every <see cref="TrainingConfig"/> parameter left unset).</summary>
public sealed record ModelRecipe(
    OptimizerKind Optimizer, double LearningRate, double WeightDecay, int Epochs, int BatchSize, double WarmupEpochs,
    double LabelSmoothing, double GradClip, bool Augment, bool Nesterov = false, double Beta2 = 0.999);

/// <summary>
/// Per-model recipes for Fashion-MNIST-sized data on a CPU. The convolutional nets use SGD with Nesterov momentum 0.9,
/// L2 5e-4 (MobileNet 4e-5: depthwise filters have few weights and over-regularize, Sandler et al. 2018), cosine decay
/// after one warm-up epoch, and pad-and-flip augmentation. The transformers use AdamW (ViT: λ = 0.05, label smoothing
/// 0.1 and clipping at 1, as DeiT, Touvron et al. 2021; GPT: λ = 0.1, β₂ = 0.99, clipping at 1, as nanoGPT's
/// character-level setting).
/// </summary>
public static class TrainingDefaults
{
    private static readonly Dictionary<string, ModelRecipe> Recipes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["fashion-cnn"] = new(OptimizerKind.Sgd, 0.05, 5e-4, 10, 128, 1, 0, 0, true, Nesterov: true),
        ["resnet8"] = new(OptimizerKind.Sgd, 0.1, 5e-4, 15, 128, 1, 0, 0, true, Nesterov: true),
        ["resnet20"] = new(OptimizerKind.Sgd, 0.1, 5e-4, 15, 128, 1, 0, 0, true, Nesterov: true),
        ["mobilenet-v2-tiny"] = new(OptimizerKind.Sgd, 0.1, 4e-5, 15, 128, 1, 0, 0, true, Nesterov: true),
        ["vit-tiny"] = new(OptimizerKind.AdamW, 2e-3, 0.05, 20, 128, 2, 0.1, 1.0, true),
        ["gpt-tiny"] = new(OptimizerKind.AdamW, 1e-3, 0.1, 3, 32, 0.1, 0, 1.0, false, Beta2: 0.99),
    };

    /// <summary>Quantization-aware fine-tuning of a trained model whose BatchNormalization is folded into its weights: SGD
    /// with Nesterov momentum 0.9 at η₀ = 0.001, a hundredth of the from-scratch rate (cosine to 0, no warm-up: the weights
    /// start trained; without BatchNormalization to normalize them, resnet8's folded weights diverge at 0.01 within 10 steps,
    /// docs/results.md), L2 1e-4 (LSQ's fine-tuning setting, Esser et al. 2020 §3), 3 epochs, pad-and-flip augmentation.</summary>
    public static ModelRecipe QuantizationAware { get; } = new(OptimizerKind.Sgd, 0.001, 1e-4, 3, 128, 0, 0, 0, true, Nesterov: true);

    /// <summary>The recipe of <paramref name="model"/>; models without one get the convolutional recipe.</summary>
    public static ModelRecipe For(string model) =>
        Recipes.TryGetValue(model, out var r) ? r : new(OptimizerKind.Sgd, 0.05, 5e-4, 10, 128, 1, 0, 0, true, Nesterov: true);
}
