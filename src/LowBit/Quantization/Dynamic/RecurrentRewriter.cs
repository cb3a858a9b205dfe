using LowBit.Formats;
using LowBit.Graph;
using LowBit.Quantization.Qdq;
using LowBit.Tensors;

namespace LowBit.Quantization.Dynamic;

/// <summary>
/// Dynamic mode for LSTM/GRU/RNN. An LSTM becomes com.microsoft DynamicQuantizeLSTM as ONNX Runtime's quantize_dynamic
/// writes it: inputs X, W_q, R_q, B, sequence_lens, initial_h, initial_c, P, W_scale, W_zero_point, R_scale,
/// R_zero_point; codes transposed to [dirs, in, 4H] and [dirs, H, 4H] (the GEMM's B operand); scales and zero points
/// [dirs, 4H] per gate row, or [dirs] per tensor. ONNX Runtime accepts int8 codes only with zero points 0 and uint8
/// only with one zero point in all, and has no layout attribute: an LSTM outside that (asymmetric int8, grouped or
/// non-8-bit codes, layout = 1) keeps the weight-only form with a warning, as do GRU and RNN, which have no dynamic
/// kernel in ONNX Runtime.
/// </summary>
internal static class RecurrentRewriter
{
    /// <summary>Rewrites <paramref name="n"/> (whose W and/or R are marked). Returns the nodes to insert at the head of
    /// the graph (DequantizeLinear of weight-only weights).</summary>
    public static List<Node> Apply(Graph.Graph g, Node n, QdqPlan plan, QdqParams p)
    {
        var marked = plan.Weights.Where(kv => kv.Value.Node == n).Select(kv => kv.Key).ToList();
        if (n.OpType == "LSTM" && WhyNotDynamic(g, n, p) is null)
        {
            Lstm(g, n, p);
            return [];
        }
        string why = n.OpType == "LSTM" ? WhyNotDynamic(g, n, p)! : $"ONNX Runtime has no dynamic {n.OpType} kernel";
        plan.Warnings.Add($"{n.DisplayName}: {why}; its W and R are stored as integers behind DequantizeLinear and the {n.OpType} runs in float (weight-only)");
        return marked.Select(w => QdqNodes.DequantizedInitializer(g, w, p.Weights[w])).ToList();
    }

    private static string? WhyNotDynamic(Graph.Graph g, Node n, QdqParams p)
    {
        if (n.Inputs.Count < 3 || !p.Weights.ContainsKey(n.Inputs[1]) || !p.Weights.ContainsKey(n.Inputs[2]))
            return "DynamicQuantizeLSTM needs both W and R as quantizable initializers";
        if ((n.Get<long?>("layout") ?? 0) != 0) return "DynamicQuantizeLSTM has no layout attribute (layout = 1)";
        foreach (var w in n.Inputs.Skip(1).Take(2))
        {
            var qp = p.Weights[w];
            var t = QdqNodes.StorageType(qp.Format);
            if (t is not (DType.Int8 or DType.UInt8)) return $"DynamicQuantizeLSTM takes 8-bit codes, '{w}' is {qp.Format.Name}";
            if (qp.Granularity is PerGroup || qp.Granularity is PerChannel pc && Granularity.ResolveAxis(pc.Axis, 3) != 1)
                return $"DynamicQuantizeLSTM takes one scale per gate row or per tensor, '{w}' is {qp.Granularity}";
            if (t == DType.Int8 && qp.ZeroPoints.Any(z => z != 0)) return $"DynamicQuantizeLSTM needs zero points 0 for int8 codes ('{w}' is asymmetric)";
            if (t == DType.UInt8 && qp.ZeroPoints.Distinct().Count() != 1) return $"DynamicQuantizeLSTM needs one zero point for uint8 codes ('{w}')";
        }
        return null;
    }

    private static void Lstm(Graph.Graph g, Node n, QdqParams p)
    {
        string w = n.Inputs[1], r = n.Inputs[2];
        var (wq, ws, wz) = Transposed(g, w, p.Weights[w]);
        var (rq, rs, rz) = Transposed(g, r, p.Weights[r]);
        var inputs = new List<string> { n.Inputs[0], wq, rq };
        for (int i = 3; i < 8; i++) inputs.Add(i < n.Inputs.Count ? n.Inputs[i] : "");
        inputs.AddRange([ws, wz, rs, rz]);
        var q = new Node("DynamicQuantizeLSTM", inputs, n.Outputs, n.Name.Length > 0 ? n.Name + "_quant" : "", "com.microsoft");
        foreach (var (k, a) in n.Attributes) q.Attributes[k] = a;
        // ONNX Runtime's LSTM base reads hidden_size as a required attribute; the ONNX op may infer it from R.
        if (!q.Attributes.ContainsKey("hidden_size")) q.With("hidden_size", (long)g.Initializers[r].Shape[2]);
        g.Nodes[g.Nodes.IndexOf(n)] = q;
        g.Opsets.TryAdd("com.microsoft", 1);
    }

    /// <summary>Codes of [dirs, G, K] stored as [dirs, K, G], scales and zero points as [dirs, G] (one per gate row, the
    /// per-row scale shared by the directions when the weight was quantized along axis 1 alone) or [dirs].</summary>
    private static (string Q, string S, string Z) Transposed(Graph.Graph g, string name, QuantParams qp)
    {
        var t = g.Initializers[name];
        int dirs = t.Shape[0], rows = t.Shape[1], k = t.Shape[2];
        var codes = Affine.Quantize(t.DType == DType.Float32 ? t : Tensor.FromArray(t.ToFloatArray(), t.Shape), qp);
        var type = codes.DType;
        var c = QuantCodes(codes);
        var tr = new int[c.Length];
        for (int d = 0; d < dirs; d++)
            for (int g2 = 0; g2 < rows; g2++)
                for (int i = 0; i < k; i++) tr[(d * k + i) * rows + g2] = c[(d * rows + g2) * k + i];
        bool perRow = qp.Scales.Length > 1;
        int[] shape = perRow ? [dirs, rows] : [dirs];
        var scales = new float[perRow ? dirs * rows : dirs];
        var zeros = new int[scales.Length];
        for (int i = 0; i < scales.Length; i++)
        {
            int src = perRow ? i % rows : 0;
            scales[i] = qp.Scales[src];
            zeros[i] = qp.ZeroPoints[src];
        }
        return (QdqNodes.AddInitializer(g, name + "_quantized", CodeStorage.ToTensor(tr, type, [dirs, k, rows])),
            QdqNodes.AddInitializer(g, name + "_scale", Tensor.FromArray(scales, shape)),
            QdqNodes.AddInitializer(g, name + "_zero_point", CodeStorage.ToTensor(zeros, type, shape)));
    }

    private static int[] QuantCodes(Tensor codes)
    {
        var r = new int[codes.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (int)codes.GetInt64(i);
        return r;
    }
}
