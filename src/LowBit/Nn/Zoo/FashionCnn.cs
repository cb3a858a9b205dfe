using LowBit.Tensors;

namespace LowBit.Nn.Zoo;

/// <summary>
/// <c>fashion-cnn</c>: a small VGG-style classifier for 1×28×28 images (Fashion-MNIST).
/// <code>
/// input [N,C,H,W]
/// block1: (conv3×3 C→32 – BN – ReLU), (conv3×3 32→32 – BN – ReLU), maxpool 2 → H/2
/// block2: (conv3×3 32→64 – BN – ReLU), (conv3×3 64→64 – BN – ReLU), maxpool 2 → H/4
/// head:   flatten (64·H/4·W/4) – dropout 0.25 – Gemm → 64 – ReLU – dropout 0.5 – Gemm → classes
/// </code>
/// 1×28×28, 10 classes, width 1: 266,602 trainable parameters (convs have no bias: BN follows).
/// </summary>
public static class FashionCnn
{
    public static Graph.Graph Build(ImageModelOptions o)
    {
        var b = new GraphBuilder("fashion-cnn", o.Seed);
        int c1 = o.Scale(32), c2 = o.Scale(64), hidden = o.Scale(64);
        string x = b.Input("input", DType.Float32, o.InputShape);
        int h = o.Height, w = o.WidthPixels, c = o.Channels;
        for (int block = 1; block <= 2; block++)
        {
            int width = block == 1 ? c1 : c2;
            using (b.Scope($"block{block}"))
            {
                for (int k = 1; k <= 2; k++)
                {
                    x = ConvBnRelu(b, x, c, width, k.ToString());
                    c = width;
                }
                x = b.MaxPool(x, 2, 2, name: "pool");
            }
            h /= 2;
            w /= 2;
        }
        if (h < 1 || w < 1) throw new ArgumentException($"fashion-cnn needs images of at least 4×4, got {o.Height}×{o.WidthPixels}");
        using (b.Scope("head"))
        {
            x = b.Flatten(x);
            x = b.Dropout(x, 0.25f, "dropout1");
            x = b.Relu(b.Linear(x, c * h * w, hidden, "fc1"), "relu1");
            x = b.Dropout(x, 0.5f, "dropout2");
            x = b.Linear(x, hidden, o.Classes, "fc2", gain: 1.0);
        }
        b.Output(x, "logits", DType.Float32, o.Classes);
        return b.Graph;
    }

    /// <summary>conv{suffix} (no bias) – bn{suffix} – relu{suffix} in the current scope.</summary>
    internal static string ConvBnRelu(GraphBuilder b, string x, int inC, int outC, string suffix, int kernel = 3, int stride = 1)
    {
        x = b.Conv(x, inC, outC, kernel, stride, bias: false, name: "conv" + suffix);
        x = b.BatchNorm(x, outC, "bn" + suffix);
        return b.Relu(x, "relu" + suffix);
    }
}
