namespace LowBit.Nn.Zoo;

/// <summary>A zoo entry: its name, a one-line description, default options and the builder.</summary>
public sealed record ZooModel(string Name, string Description, ModelOptions DefaultOptions, Func<ModelOptions, Graph.Graph> Builder)
{
    /// <summary>Builds the model with <paramref name="options"/> (default: <see cref="DefaultOptions"/>).</summary>
    public Graph.Graph Build(ModelOptions? options = null) => Builder(options ?? DefaultOptions);
}

/// <summary>
/// Registry of models built in C# (DESIGN.md §1: they are ordinary <see cref="Graph.Graph"/>s with seeded weights,
/// exported with <c>OnnxExporter</c> like any other). Image models take <see cref="ImageModelOptions"/> (vit-tiny also
/// <see cref="VitOptions"/>, lrcn <see cref="LrcnOptions"/>); gpt-tiny takes <see cref="GptOptions"/>.
/// </summary>
public static class ModelZoo
{
    private static readonly ZooModel[] Models =
    [
        new("fashion-cnn", "4 conv-BN-ReLU, 2 max-pools, dropout, 2 Gemm; 1×28×28 Fashion-MNIST, 0.27 M params",
            new ImageModelOptions(), o => FashionCnn.Build(Image(o, "fashion-cnn"))),
        new("resnet8", "CIFAR ResNet, 3 stages × 1 basic block (16/32/64 channels), 0.08 M params",
            new ImageModelOptions(), o => ResNet.Build(Image(o, "resnet8"), 1, "resnet8")),
        new("resnet20", "CIFAR ResNet, 3 stages × 3 basic blocks (16/32/64 channels), 0.27 M params",
            new ImageModelOptions(), o => ResNet.Build(Image(o, "resnet20"), 3, "resnet20")),
        new("mobilenet-v2-tiny", "MobileNetV2 inverted residuals with depthwise convs and ReLU6, 0.13 M params",
            new ImageModelOptions(), o => MobileNetV2.Build(Image(o, "mobilenet-v2-tiny"))),
        new("vit-tiny", "Vision Transformer, 4×4 patches, 4 pre-norm blocks of width 64, 4 heads, 0.14 M params",
            new VitOptions(), o => Vit.Build(o as VitOptions ?? new VitOptions(Image(o, "vit-tiny")))),
        new("gpt-tiny", "character-level causal transformer, context 64, 4 blocks of width 128, 0.82 M params",
            new GptOptions(), o => Gpt.Build(o as GptOptions
                ?? throw new LowBitException(ErrorKind.InvalidInput, $"gpt-tiny takes GptOptions, not {o.GetType().Name}"))),
        new("lrcn", "CNN+LSTM over clips of 4 frames 1×28×28 (conv features per frame, LSTM of 32, classifier), 0.01 M params, seeded weights (no LSTM backward: not trainable)",
            new LrcnOptions(), o => Lrcn.Build(o as LrcnOptions ?? LrcnOptions.From(Image(o, "lrcn")))),
    ];

    /// <summary>Model names in registry order.</summary>
    public static IReadOnlyList<string> Names { get; } = Models.Select(m => m.Name).ToArray();

    public static IReadOnlyList<ZooModel> All => Models;

    /// <summary>The entry named <paramref name="name"/> (case-insensitive); an unknown name lists the known ones.</summary>
    public static ZooModel Get(string name) =>
        Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new LowBitException(ErrorKind.InvalidInput, $"unknown model '{name}'; known models: {string.Join(", ", Names)}");

    public static Graph.Graph Build(string name, ModelOptions? options = null) => Get(name).Build(options);

    private static ImageModelOptions Image(ModelOptions o, string name) => o as ImageModelOptions
        ?? throw new LowBitException(ErrorKind.InvalidInput, $"{name} takes ImageModelOptions, not {o.GetType().Name}");
}
