using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Blocks;

/// <summary>
/// Spatial crops of a convolutional block, so reconstruction on big feature maps costs a fixed window per sample.
/// Per spatial axis the block's output position j reads input rows [j·S − P, j·S − P + K): S = product of the strides on
/// the path, K the receptive field, composed through Conv/pools as K' = K + (k − 1)·d·S, S' = S·s (elementwise merges take
/// the larger K; S must agree). A crop of the input starting at i₀, a multiple of S, reproduces output rows
/// j' ↔ j = j' + i₀/S exactly wherever the receptive field lies inside the crop or on a true map border, since every op
/// sees the same pads relative to the crop. The halo R = ⌈K/S⌉·S on each side keeps <see cref="OutputRows"/> output rows
/// exact. Blocks with any op that mixes positions otherwise (Gemm, MatMul, Reshape, global pools, attention) are not
/// croppable: they train on whole inputs (token sequences stay whole).
/// </summary>
internal sealed class BlockCrop
{
    private static readonly HashSet<string> PassThrough = new(StringComparer.Ordinal)
    {
        "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Identity", "Add", "Sub", "Mul", "Div",
        "Dropout", "QuantizeLinear", "DequantizeLinear", "BatchNormalization", "PRelu", "Elu", "Selu", "Gelu", "Erf", "Neg", "Abs",
    };

    public int[] Stride { get; }
    public int[] Halo { get; }
    /// <summary>Output rows/cols kept per crop.</summary>
    public int OutputRows { get; }

    private BlockCrop(int[] stride, int[] halo, int rows) { Stride = stride; Halo = halo; OutputRows = rows; }

    /// <summary>The crop geometry of <paramref name="block"/>, or null when it must train on whole inputs (rank ≠ 4,
    /// an op outside the croppable set, auto_pad, or maps not larger than the crop).</summary>
    public static BlockCrop? TryCreate(Graph.Graph g, Block block, int[] inputShape, int outputRows)
    {
        if (inputShape.Length != 4 || block.SideInputs.Count > 0) return null;
        var field = new Dictionary<string, (int S0, int S1, int K0, int K1)>(StringComparer.Ordinal) { [block.Input] = (1, 1, 1, 1) };
        foreach (var n in block.Nodes)
        {
            var ins = n.Inputs.Where(field.ContainsKey).Select(v => field[v]).ToList();
            if (ins.Count == 0) continue;
            (int S0, int S1, int K0, int K1) f = (ins[0].S0, ins[0].S1, ins.Max(x => x.K0), ins.Max(x => x.K1));
            if (ins.Any(x => x.S0 != f.S0 || x.S1 != f.S1)) return null;
            if (n.OpType is "Conv" or "MaxPool" or "AveragePool")
            {
                if ((n.Get<string>("auto_pad") ?? "NOTSET") != "NOTSET") return null;
                long[] kernel = n.OpType == "Conv" ? KernelOf(g, n) : n.Get<long[]>("kernel_shape") ?? [];
                if (kernel.Length != 2) return null;
                long[] s = n.Get<long[]>("strides") ?? [1, 1], d = n.Get<long[]>("dilations") ?? [1, 1];
                f = ((int)(f.S0 * s[0]), (int)(f.S1 * s[1]), (int)(f.K0 + (kernel[0] - 1) * d[0] * f.S0), (int)(f.K1 + (kernel[1] - 1) * d[1] * f.S1));
            }
            else if (n.OpType == "Concat" ? n.Get<long>("axis") is not (1 or -3) : !PassThrough.Contains(n.OpType)) return null;
            foreach (var o in n.Outputs) if (o.Length > 0) field[o] = f;
        }
        if (!field.TryGetValue(block.Output, out var r)) return null;
        int[] stride = [r.S0, r.S1];
        int[] halo = [(r.K0 + r.S0 - 1) / r.S0 * r.S0, (r.K1 + r.S1 - 1) / r.S1 * r.S1];
        for (int a = 0; a < 2; a++)
            if (inputShape[2 + a] <= outputRows * stride[a] + 2 * halo[a]) return null;
        return new BlockCrop(stride, halo, outputRows);
    }

    /// <summary>A random crop: the input window per axis [i₀, i₀ + L), L = rows·S + 2R, i₀ a multiple of S, and the output
    /// rows [lo, lo + rows) of the cropped run that equal the full run's rows lo + i₀/S….</summary>
    public (int[] InStart, int[] InLength, int[] OutLo) Sample(int[] inputShape, Random rng)
    {
        var start = new int[2];
        var length = new int[2];
        var lo = new int[2];
        for (int a = 0; a < 2; a++)
        {
            int s = Stride[a], h = inputShape[2 + a], len = OutputRows * s + 2 * Halo[a];
            int starts = (h - len) / s + 1;
            int i0 = rng.Next(starts) * s;
            start[a] = i0;
            length[a] = len;
            lo[a] = i0 == 0 ? 0 : Halo[a] / s;
        }
        return (start, length, lo);
    }

    /// <summary>x[:, :, r₀:r₀+h, c₀:c₀+w] (rank 4).</summary>
    public static Tensor Slice(Tensor x, int[] start, int[] length)
    {
        var src = x.DType == DType.Float32 ? x : Elementwise.Cast(x, DType.Float32);
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var y = Tensor.Empty(DType.Float32, [n, c, length[0], length[1]]);
        var s = src.AsReadOnlySpan<float>();
        var d = y.AsSpan<float>();
        int o = 0;
        for (int p = 0; p < n * c; p++)
            for (int r = 0; r < length[0]; r++)
            {
                s.Slice(p * h * w + (start[0] + r) * w + start[1], length[1]).CopyTo(d.Slice(o, length[1]));
                o += length[1];
            }
        return y;
    }

    private static long[] KernelOf(Graph.Graph g, Node conv) => conv.Get<long[]>("kernel_shape")
        ?? (conv.Inputs.Count > 1 && g.Initializers.TryGetValue(conv.Inputs[1], out var w) ? w.Shape[2..].Select(d => (long)d).ToArray() : []);
}
