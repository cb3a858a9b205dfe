namespace LowBit.Nn.Zoo;

/// <summary>Options every zoo model takes: the seed of its weight initialization.</summary>
public abstract record ModelOptions
{
    protected ModelOptions(int seed) => Seed = seed;

    public int Seed { get; }
}

/// <summary>Options of the image classifiers: input [C, H, W] (batch N symbolic), number of classes, and a width
/// multiplier scaling every channel count (rounded, at least 1; MobileNet rounds to multiples of 8).</summary>
public record ImageModelOptions : ModelOptions
{
    public ImageModelOptions(int[]? inputShape = null, int classes = 10, double width = 1.0, int seed = 0) : base(seed)
    {
        InputShape = inputShape is null ? [1, 28, 28] : (int[])inputShape.Clone();
        if (InputShape.Length != 3 || InputShape.Any(d => d < 1))
            throw new ArgumentException($"input shape must be [C,H,W] with positive dims, got [{string.Join(",", InputShape)}]", nameof(inputShape));
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), $"classes must be at least 2, got {classes}");
        if (!(width > 0 && width <= 16)) throw new ArgumentOutOfRangeException(nameof(width), $"width multiplier must be in (0, 16], got {width}");
        Classes = classes;
        Width = width;
    }

    /// <summary>[C, H, W].</summary>
    public int[] InputShape { get; }
    public int Classes { get; }
    public double Width { get; }

    public int Channels => InputShape[0];
    public int Height => InputShape[1];
    public int WidthPixels => InputShape[2];

    /// <summary>max(1, round(base · width)).</summary>
    public int Scale(int baseChannels) => Math.Max(1, (int)Math.Round(baseChannels * Width, MidpointRounding.AwayFromZero));
}

/// <summary>Vision transformer options. <paramref name="patchSize"/> 0 picks 4 when it divides H and W, else 7;
/// <paramref name="dim"/> is the token width before the width multiplier (rounded to a multiple of <paramref name="heads"/>).</summary>
public sealed record VitOptions : ImageModelOptions
{
    public VitOptions(int[]? inputShape = null, int classes = 10, double width = 1.0, int seed = 0, int patchSize = 0,
        int depth = 4, int heads = 4, int dim = 64, int mlpRatio = 2, bool classToken = false, AttentionKind attention = AttentionKind.Vanilla)
        : base(inputShape, classes, width, seed)
    {
        if (patchSize == 0) patchSize = Height % 4 == 0 && WidthPixels % 4 == 0 ? 4 : 7;
        if (patchSize < 1 || Height % patchSize != 0 || WidthPixels % patchSize != 0)
            throw new ArgumentException($"patch size {patchSize} must divide the image size {Height}×{WidthPixels}", nameof(patchSize));
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), "depth must be at least 1");
        if (heads < 1) throw new ArgumentOutOfRangeException(nameof(heads), "heads must be at least 1");
        if (dim < 1 || mlpRatio < 1) throw new ArgumentOutOfRangeException(nameof(dim), "dim and mlp ratio must be positive");
        PatchSize = patchSize;
        Depth = depth;
        Heads = heads;
        int d = Math.Max(heads, (int)Math.Round(dim * width / heads, MidpointRounding.AwayFromZero) * heads);
        Dim = d;
        MlpRatio = mlpRatio;
        ClassToken = classToken;
        Attention = AttentionKinds.Check(attention);
    }

    public VitOptions(ImageModelOptions o, AttentionKind attention = AttentionKind.Vanilla)
        : this(o.InputShape, o.Classes, o.Width, o.Seed, attention: attention)
    {
    }

    public int PatchSize { get; }
    public int Depth { get; }
    public int Heads { get; }
    /// <summary>Token width after the width multiplier; a multiple of <see cref="Heads"/>.</summary>
    public int Dim { get; }
    public int MlpRatio { get; }
    /// <summary>Prepend a learned class token and classify from it; otherwise classify from the mean token.</summary>
    public bool ClassToken { get; }
    public int Tokens => Height / PatchSize * (WidthPixels / PatchSize) + (ClassToken ? 1 : 0);
    /// <summary>Softmax attention as written, or one of the outlier-free variants (<see cref="AttentionKind"/>).</summary>
    public AttentionKind Attention { get => attention; init => attention = AttentionKinds.Check(value); }
    private readonly AttentionKind attention;
}

/// <summary>Character-level causal transformer options: vocabulary V, context T (fixed in the graph), layers, heads,
/// width D (a multiple of heads), MLP hidden = mlpRatio·D.</summary>
public sealed record GptOptions : ModelOptions
{
    public GptOptions(int vocab = 65, int context = 64, int layers = 4, int heads = 4, int width = 128, int mlpRatio = 4, int seed = 0,
        AttentionKind attention = AttentionKind.Vanilla)
        : base(seed)
    {
        if (vocab < 2) throw new ArgumentOutOfRangeException(nameof(vocab), $"vocab must be at least 2, got {vocab}");
        if (context < 1) throw new ArgumentOutOfRangeException(nameof(context), $"context must be at least 1, got {context}");
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), $"layers must be at least 1, got {layers}");
        if (heads < 1 || width < heads || width % heads != 0)
            throw new ArgumentException($"width {width} must be a positive multiple of heads {heads}", nameof(width));
        if (mlpRatio < 1) throw new ArgumentOutOfRangeException(nameof(mlpRatio), "mlp ratio must be positive");
        Vocab = vocab;
        Context = context;
        Layers = layers;
        Heads = heads;
        Width = width;
        MlpRatio = mlpRatio;
        Attention = AttentionKinds.Check(attention);
    }

    public int Vocab { get; }
    public int Context { get; }
    public int Layers { get; }
    public int Heads { get; }
    public int Width { get; }
    public int MlpRatio { get; }
    /// <summary>Softmax attention as written, or one of the outlier-free variants (<see cref="AttentionKind"/>).</summary>
    public AttentionKind Attention { get => attention; init => attention = AttentionKinds.Check(value); }
    private readonly AttentionKind attention;
}
