using LowBit.Tensors;

namespace LowBit.Nn.Zoo;

/// <summary>Options of <c>lrcn</c>: frames per clip, LSTM width, and the per-frame image options.</summary>
public sealed record LrcnOptions : ImageModelOptions
{
    public LrcnOptions(int[]? inputShape = null, int classes = 10, double width = 1.0, int seed = 0, int frames = 4, int hidden = 32)
        : base(inputShape, classes, width, seed)
    {
        if (frames < 1) throw new ArgumentOutOfRangeException(nameof(frames), $"frames must be at least 1, got {frames}");
        if (hidden < 1) throw new ArgumentOutOfRangeException(nameof(hidden), $"hidden size must be at least 1, got {hidden}");
        Frames = frames;
        Hidden = hidden;
    }

    public int Frames { get; }
    public int Hidden { get; }

    /// <summary>Default frames and width with the frame shape, classes, width multiplier and seed of <paramref name="i"/>.</summary>
    public static LrcnOptions From(ImageModelOptions i) => new(i.InputShape, i.Classes, i.Width, i.Seed);
}

/// <summary>
/// <c>lrcn</c>: a long-term recurrent convolutional network (Donahue et al. 2015, "Long-term Recurrent Convolutional
/// Networks for Visual Recognition and Description"): per-frame conv features, an LSTM over the frames, a classifier on
/// the last hidden state.
/// <code>
/// frames [N, T, C, H, W] ─Reshape─▶ [N·T, C, H, W]
///   conv3×3 C→16 – ReLU – maxpool 2, conv3×3 16→32 – ReLU – maxpool 2, GlobalAveragePool ─▶ [N·T, 32, 1, 1]
///   ─Reshape─▶ [N, T, 32] ─Transpose─▶ [T, N, 32] (ONNX LSTM layout 0, the one DynamicQuantizeLSTM also takes)
///   LSTM hidden H, forward ─Y_h─▶ [1, N, H] ─Reshape─▶ [N, H] ─Gemm─▶ logits [N, classes]
/// </code>
/// T = 4, 1×28×28, H = 32, 10 classes: 13,578 parameters. LowBit's autograd has no LSTM backward, so the weights are
/// the seeded initialization (LSTM: N(0, 1/H) truncated at 2σ; gates' biases 0): the model exists to exercise
/// quantization of a CNN+LSTM in every mode, not to be trained by <c>lowbit train</c>.
/// </summary>
public static class Lrcn
{
    public static Graph.Graph Build(LrcnOptions o)
    {
        var b = new GraphBuilder("lrcn", o.Seed);
        int c1 = o.Scale(16), c2 = o.Scale(32), h = o.Hidden, t = o.Frames;
        string x = b.Input("frames", DType.Float32, [t, .. o.InputShape]);
        if (o.Height < 4 || o.WidthPixels < 4) throw new ArgumentException($"lrcn needs frames of at least 4×4, got {o.Height}×{o.WidthPixels}");
        using (b.Scope("features"))
        {
            x = b.Reshape(x, [-1, o.Channels, o.Height, o.WidthPixels], "frames_to_batch");
            x = b.MaxPool(b.Relu(b.Conv(x, o.Channels, c1, 3, name: "conv1"), "relu1"), 2, 2, name: "pool1");
            x = b.MaxPool(b.Relu(b.Conv(x, c1, c2, 3, name: "conv2"), "relu2"), 2, 2, name: "pool2");
            x = b.GlobalAveragePool(x, "gap");
            x = b.Reshape(x, [-1, t, c2], "batch_to_clips");
            x = b.Transpose(x, [1, 0, 2], "time_major");
        }
        string lstm = b.UniqueName("lstm");
        double std = 1 / Math.Sqrt(h);
        string w = b.TruncatedNormal(lstm, "W", [1, 4 * h, c2], std);
        string r = b.TruncatedNormal(lstm, "R", [1, 4 * h, h], std);
        string bias = b.Zeros(lstm, "B", 1, 8 * h);
        string yh = lstm + ".Y_h";
        b.Graph.Add("LSTM", [x, w, r, bias], ["", yh], lstm).With("hidden_size", (long)h);
        using (b.Scope("head"))
        {
            x = b.Reshape(yh, [-1, h], "last_state");
            x = b.Linear(x, h, o.Classes, "fc", gain: 1.0);
        }
        b.Output(x, "logits", DType.Float32, o.Classes);
        return b.Graph;
    }
}
