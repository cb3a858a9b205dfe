using LowBit.Tensors;

namespace LowBit.Nn.Zoo;

/// <summary>
/// CIFAR-style ResNets (He et al. 2016, "Deep Residual Learning", §4.2): depth 6n + 2.
/// <code>
/// stem:   conv3×3 C→16w – BN – ReLU
/// stage1: n basic blocks, 16w channels, stride 1
/// stage2: n basic blocks, 32w channels, first block stride 2
/// stage3: n basic blocks, 64w channels, first block stride 2
/// head:   GlobalAveragePool – flatten – Gemm → classes
/// basic block: y = ReLU(BN(conv3×3(ReLU(BN(conv3×3_s(x))))) + shortcut(x)),
///              shortcut = x, or BN(conv1×1_s(x)) when stride or channels change (projection, option B)
/// </code>
/// Trainable parameters (width 1, 10 classes): resnet8 (n = 1) 78,042 for 3×32×32 and 77,754 for 1×28×28;
/// resnet20 (n = 3) 272,474 for 3×32×32 and 272,186 for 1×28×28.
/// </summary>
public static class ResNet
{
    /// <summary>Builds the 6n + 2 layer network; <paramref name="blocksPerStage"/> is n.</summary>
    public static Graph.Graph Build(ImageModelOptions o, int blocksPerStage, string name)
    {
        if (blocksPerStage < 1) throw new ArgumentOutOfRangeException(nameof(blocksPerStage));
        var b = new GraphBuilder(name, o.Seed);
        string x = b.Input("input", DType.Float32, o.InputShape);
        int c = o.Scale(16);
        using (b.Scope("stem")) x = FashionCnn.ConvBnRelu(b, x, o.Channels, c, "");
        int[] widths = [o.Scale(16), o.Scale(32), o.Scale(64)];
        for (int s = 0; s < 3; s++)
            using (b.Scope($"stage{s + 1}"))
                for (int k = 0; k < blocksPerStage; k++)
                {
                    using (b.Scope($"block{k}")) x = BasicBlock(b, x, c, widths[s], s > 0 && k == 0 ? 2 : 1);
                    c = widths[s];
                }
        using (b.Scope("head"))
        {
            x = b.Flatten(b.GlobalAveragePool(x, "pool"));
            x = b.Linear(x, c, o.Classes, "fc", gain: 1.0);
        }
        b.Output(x, "logits", DType.Float32, o.Classes);
        return b.Graph;
    }

    private static string BasicBlock(GraphBuilder b, string x, int inC, int outC, int stride)
    {
        string y = FashionCnn.ConvBnRelu(b, x, inC, outC, "1", stride: stride);
        y = b.Conv(y, outC, outC, 3, bias: false, name: "conv2");
        y = b.BatchNorm(y, outC, "bn2");
        string shortcut = x;
        if (stride != 1 || inC != outC)
        {
            shortcut = b.Conv(x, inC, outC, 1, stride, pad: 0, bias: false, name: "shortcut.conv", gain: 1.0);
            shortcut = b.BatchNorm(shortcut, outC, "shortcut.bn");
        }
        return b.Relu(b.Add(y, shortcut, "add"), "relu2");
    }
}
