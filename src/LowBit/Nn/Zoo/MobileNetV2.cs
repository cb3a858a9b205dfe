using LowBit.Tensors;

namespace LowBit.Nn.Zoo;

/// <summary>
/// <c>mobilenet-v2-tiny</c>: MobileNetV2 (Sandler et al. 2018) sized for 28×28 / 32×32 inputs.
/// <code>
/// stem:  conv3×3 C→16 – BN – ReLU6                     (stride 1: small images keep their resolution)
/// stages (t expansion, c channels, n blocks, s first stride):
///        (1, 16, 1, 1) (6, 24, 2, 2) (6, 32, 2, 2) (6, 64, 2, 1)
/// head:  conv1×1 → 256 – BN – ReLU6 – GlobalAveragePool – flatten – dropout 0.2 – Gemm → classes
/// inverted residual: [conv1×1 c→tc – BN – ReLU6] (absent when t = 1) – depthwise conv3×3_s (group = tc) – BN – ReLU6
///                    – conv1×1 tc→c' – BN (linear bottleneck); + x when s = 1 and c = c'
/// </code>
/// ReLU6 is <c>Clip(x, 0, 6)</c>. Channel counts are c·width rounded to a multiple of 8 (never below 8 nor 10 % under
/// c·width, as in the paper's reference code). 1×28×28, 10 classes, width 1: 134,250 trainable parameters.
/// </summary>
public static class MobileNetV2
{
    private static readonly (int T, int C, int N, int S)[] Stages = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 2, 2), (6, 64, 2, 1)];

    public static Graph.Graph Build(ImageModelOptions o)
    {
        var b = new GraphBuilder("mobilenet-v2-tiny", o.Seed);
        string x = b.Input("input", DType.Float32, o.InputShape);
        int c = Round8(16 * o.Width);
        using (b.Scope("stem")) x = ConvBnRelu6(b, x, o.Channels, c, 3, 1, 1, "");
        for (int s = 0; s < Stages.Length; s++)
        {
            var (t, ch, n, stride) = Stages[s];
            int outC = Round8(ch * o.Width);
            using (b.Scope($"stage{s + 1}"))
                for (int k = 0; k < n; k++)
                {
                    using (b.Scope($"block{k}")) x = InvertedResidual(b, x, c, outC, t, k == 0 ? stride : 1);
                    c = outC;
                }
        }
        int last = Round8(256 * Math.Max(1.0, o.Width));
        using (b.Scope("head"))
        {
            x = ConvBnRelu6(b, x, c, last, 1, 1, 1, "");
            x = b.Flatten(b.GlobalAveragePool(x, "pool"));
            x = b.Dropout(x, 0.2f);
            x = b.Linear(x, last, o.Classes, "fc", gain: 1.0);
        }
        b.Output(x, "logits", DType.Float32, o.Classes);
        return b.Graph;
    }

    private static string InvertedResidual(GraphBuilder b, string x, int inC, int outC, int expand, int stride)
    {
        int hidden = inC * expand;
        string y = expand == 1 ? x : ConvBnRelu6(b, x, inC, hidden, 1, 1, 1, "_expand");
        y = ConvBnRelu6(b, y, hidden, hidden, 3, stride, hidden, "_dw");
        y = b.Conv(y, hidden, outC, 1, bias: false, name: "conv_project", gain: 1.0);
        y = b.BatchNorm(y, outC, "bn_project");
        return stride == 1 && inC == outC ? b.Add(x, y, "add") : y;
    }

    private static string ConvBnRelu6(GraphBuilder b, string x, int inC, int outC, int kernel, int stride, int group, string suffix)
    {
        x = b.Conv(x, inC, outC, kernel, stride, group: group, bias: false, name: "conv" + suffix);
        x = b.BatchNorm(x, outC, "bn" + suffix);
        return b.Relu6(x, "relu6" + suffix);
    }

    /// <summary>Nearest multiple of 8, at least 8, and not below 90 % of <paramref name="v"/>.</summary>
    private static int Round8(double v)
    {
        int r = Math.Max(8, (int)(v + 4) / 8 * 8);
        return r < 0.9 * v ? r + 8 : r;
    }
}
