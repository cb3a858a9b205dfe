using LowBit.Formats;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Weight-only rewrite: each marked weight becomes integers + DequantizeLinear, except MatMul/Gemm nodes exported as
/// com.microsoft MatMulNBits (integer formats only) and formats without integer storage (fp4, nf4, binary, PoT, APoT),
/// which become packed codes + lookup table (<see cref="LookupWeights"/>). Measured in ONNX Runtime 1.31 (docs/quantization.md): where ORT fuses DQ→MatMul into
/// MatMulNBits itself the two exports run equally fast, but it does not always fuse (Gemm with transB = 1, or a Gemm it
/// first merged with a following Relu into FusedGemm), and unfused it dequantizes the weight on every run (about 23×
/// slower than float at batch 1). So <see cref="WeightOnlyKernel.Auto"/> writes MatMulNBits wherever it can express
/// the weight (4/8-bit codes in power-of-two groups along K, or per column / per tensor as blocks repeating the scale)
/// and DequantizeLinear elsewhere.
/// </summary>
internal static class WeightOnlyRewriter
{
    /// <summary>Returns the names of the nodes exported as MatMulNBits.</summary>
    public static List<string> Apply(Graph.Graph g, QdqPlan plan, QdqParams p, QuantizerConfig config)
    {
        var nbits = new List<string>();
        var head = new List<Node>();
        var uses = g.Consumers();
        int lookupAt = 0;
        foreach (var (name, w) in plan.Weights)
        {
            var qp = p.Weights[name];
            bool single = uses.TryGetValue(name, out var readers) && readers.Count == 1;
            if (single && AsMatMulNBits(g, w, qp, config) is var (replacement, biasToDrop))
            {
                int at = g.Nodes.IndexOf(w.Node);
                g.Nodes[at] = replacement;
                g.Initializers.Remove(name);
                if (biasToDrop is not null) Prepare.ConstantFolding.RemoveUnread(g, [biasToDrop]);
                nbits.Add(Marker.Key(w.Node));
                continue;
            }
            if (LookupWeights.Applies(qp.Format))
            {
                // In the graph at once, so later names stay unique; the weight's readers come after them.
                var lookup = LookupWeights.Replace(g, name, qp);
                g.Nodes.InsertRange(lookupAt, lookup);
                lookupAt += lookup.Count;
                continue;
            }
            head.Add(QdqNodes.DequantizedInitializer(g, name, qp));
        }
        g.Nodes.InsertRange(0, head);
        if (nbits.Count > 0) g.Opsets.TryAdd("com.microsoft", 1);
        return nbits;
    }

    private static (Node Replacement, string? Dropped)? AsMatMulNBits(Graph.Graph g, WeightMark w, QuantParams qp, QuantizerConfig config)
    {
        var n = w.Node;
        var weight = g.Initializers[w.Initializer];
        if (config.WeightOnlyKernel == WeightOnlyKernel.DequantizeLinear || weight.Rank != 2 || n.Inputs[1] != w.Initializer) return null;
        // Blocks along K (axis 0 of B [K, N]) of a power-of-two size, or one scale per column (axis 1), or one in all.
        bool fits = qp.Granularity switch
        {
            PerGroup pg => pg.Axis == 0 && (pg.BlockSize & (pg.BlockSize - 1)) == 0,
            PerChannel pc => Granularity.ResolveAxis(pc.Axis, 2) == 1,
            _ => true,
        };
        if (!fits || w.Config.StorageBits is not (4 or 8) || w.Config.Format is not IntFormat) return null;  // FP8: DequantizeLinear
        if (n.OpType == "MatMul" && n.Inputs.Count == 2)
            return (MatMulNBitsPacker.Build(g, n, n.Inputs[0], weight, qp, kMajor: true, bias: null, config.MatMulNBitsAccuracyLevel), null);
        if (n.OpType != "Gemm" || (n.Get<long?>("transA") ?? 0) != 0 || (n.Get<long?>("transB") ?? 0) != 0 || (n.Get<float?>("alpha") ?? 1f) != 1f) return null;
        string? bias = null, dropped = null;
        if (n.Inputs.Count > 2 && n.Inputs[2].Length > 0)
        {
            int cols = weight.Shape[1];
            if (!g.Initializers.TryGetValue(n.Inputs[2], out var c) || c.DType != DType.Float32 || c.Length != cols
                || !(c.Rank == 1 || (c.Rank == 2 && c.Shape[0] == 1))) return null;
            float beta = n.Get<float?>("beta") ?? 1f;
            if (beta == 1f && c.Rank == 1) bias = n.Inputs[2];
            else
            {
                var scaled = c.ToFloatArray();
                for (int i = 0; i < scaled.Length; i++) scaled[i] *= beta;
                bias = QdqNodes.AddInitializer(g, n.Inputs[2] + "_bias", Tensor.FromArray(scaled, cols));
                dropped = n.Inputs[2];
            }
        }
        return (MatMulNBitsPacker.Build(g, n, n.Inputs[0], weight, qp, kMajor: true, bias, config.MatMulNBitsAccuracyLevel), dropped);
    }
}
