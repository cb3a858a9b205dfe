using LowBit.Formats;
using LowBit.Graph;
using LowBit.Quantization.Qdq;
using LowBit.Tensors;

namespace LowBit.Quantization.Dynamic;

/// <summary>
/// Dynamic quantization in the form ONNX Runtime's <c>quantize_dynamic</c> writes (ORT fuses it into
/// DynamicQuantizeMatMul / its ConvInteger path):
/// <code>
/// x ─DynamicQuantizeLinear─▶ x_q (uint8), s_x, z_x          (one per input tensor, shared by its readers)
/// MatMul:  MatMulInteger(x_q, W_q, z_x, z_w) ─Cast(float)─▶ y_i ─Mul(s_x·s_w)─▶ y
/// Gemm:    as MatMul with W_q = op(B) stored [K, N], s_w·α, then + β·C
/// Conv:    ConvInteger(x_q, W_q, z_x, z_w) ─Cast─▶ ─Mul(s_x·s_w[1,M,1,1])─▶ ─Add(b[1,M,1,1])─▶ y
/// </code>
/// y = s_x·s_w·Σ (x_q − z_x)(w_q − z_w) is the float result up to the quantization of x and W. Weight zero points are
/// written as one scalar when they are all equal (ConvInteger in ONNX Runtime accepts nothing else).
/// Nodes this form cannot express (MatMul with B of rank ≠ 2, Gemm with transA, Conv with per-channel zero points) stay
/// float; their names are returned so their weight marks can be dropped. LSTM/GRU/RNN: <see cref="RecurrentRewriter"/>.
/// </summary>
internal static class DynamicRewriter
{
    public static List<Node> Apply(Graph.Graph g, QdqPlan plan, QdqParams p)
    {
        var skipped = new List<Node>();
        var quantizedInputs = new Dictionary<string, (string Q, string S, string Z)>(StringComparer.Ordinal);
        var producers = g.Producers();
        var recurrent = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var head = new List<Node>();
        foreach (var (name, w) in plan.Weights.ToList())
        {
            var n = w.Node;
            if (n.OpType is "LSTM" or "GRU" or "RNN")
            {
                if (recurrent.Add(n)) head.AddRange(RecurrentRewriter.Apply(g, n, plan, p));
                continue;
            }
            var qp = p.Weights[name];
            var repl = n.OpType switch
            {
                "MatMul" => MatMul(g, n, name, qp),
                "Gemm" => Gemm(g, n, name, qp),
                "Conv" => Conv(g, n, name, qp),
                _ => null,
            };
            if (repl is null) { skipped.Add(n); continue; }
            string x = n.Inputs[0];
            if (!quantizedInputs.TryGetValue(x, out var xq))
            {
                xq = (g.UniqueName(x + "_quantized"), g.UniqueName(x + "_scale"), g.UniqueName(x + "_zero_point"));
                quantizedInputs[x] = xq;
                var dql = new Node("DynamicQuantizeLinear", [x], [xq.Q, xq.S, xq.Z], g.UniqueName(x + "_DynamicQuantizeLinear"));
                int at = producers.TryGetValue(x, out var prod) ? g.Nodes.IndexOf(prod) + 1 : 0;
                g.Nodes.Insert(at, dql);
            }
            foreach (var r in repl)
                for (int i = 0; i < r.Inputs.Count; i++)
                    r.Inputs[i] = r.Inputs[i] switch { "$xq" => xq.Q, "$xs" => xq.S, "$xz" => xq.Z, var v => v };
            int pos = g.Nodes.IndexOf(n);
            g.Nodes.RemoveAt(pos);
            g.Nodes.InsertRange(pos, repl);
        }
        g.Nodes.InsertRange(0, head);
        Prepare.ConstantFolding.RemoveUnread(g, plan.Weights.Keys.Concat(plan.Weights.Values.SelectMany(v => v.Node.Inputs)).ToList());
        return skipped;
    }

    private static List<Node>? MatMul(Graph.Graph g, Node n, string w, QuantParams qp)
    {
        var t = g.Initializers[w];
        if (t.Rank != 2 || n.Inputs[1] != w) return null;
        return Integer(g, n, w, Codes(t, qp), qp, n.Outputs[0], alpha: 1f, reshapeRank: 0);
    }

    private static List<Node>? Gemm(Graph.Graph g, Node n, string w, QuantParams qp)
    {
        var t = g.Initializers[w];
        if ((n.Get<long?>("transA") ?? 0) != 0 || t.Rank != 2 || n.Inputs[1] != w) return null;
        bool transB = (n.Get<long?>("transB") ?? 0) != 0;
        float alpha = n.Get<float?>("alpha") ?? 1f, beta = n.Get<float?>("beta") ?? 1f;
        string? c = n.Inputs.Count > 2 && n.Inputs[2].Length > 0 ? n.Inputs[2] : null;
        if (c is not null && beta != 1f && !g.Initializers.ContainsKey(c)) return null;
        var codes = Codes(t, qp);
        if (transB) codes = Transpose(codes);
        string stem = Stem(n);
        string y = c is null ? n.Outputs[0] : g.UniqueName(stem + "_product");
        var nodes = Integer(g, n, w, codes, qp, y, alpha, reshapeRank: 0);
        if (c is not null)
        {
            if (beta != 1f)
            {
                var cv = g.Initializers[c].ToFloatArray();
                for (int i = 0; i < cv.Length; i++) cv[i] *= beta;
                c = QdqNodes.AddInitializer(g, c + "_beta", Tensor.FromArray(cv, g.Initializers[c].Shape));
            }
            nodes.Add(new Node("Add", [y, c], [n.Outputs[0]], g.UniqueName(stem + "_bias_Add")));
        }
        return nodes;
    }

    private static List<Node>? Conv(Graph.Graph g, Node n, string w, QuantParams qp)
    {
        var t = g.Initializers[w];
        if (n.Inputs[1] != w || qp.ZeroPoints.Distinct().Count() != 1) return null;
        string stem = Stem(n);
        string? b = n.Inputs.Count > 2 && n.Inputs[2].Length > 0 ? n.Inputs[2] : null;
        if (b is not null && !g.Initializers.ContainsKey(b)) return null;
        string y = b is null ? n.Outputs[0] : g.UniqueName(stem + "_scaled");
        var nodes = Integer(g, n, w, Codes(t, qp), qp, y, 1f, reshapeRank: t.Rank);
        var integer = nodes[0];
        integer.OpType = "ConvInteger";
        foreach (var (k, a) in n.Attributes) integer.Attributes[k] = a;
        if (b is not null)
        {
            var bias = g.Initializers[b];
            var shape = Enumerable.Repeat(1, t.Rank).ToArray();
            shape[1] = bias.Length;
            string br = QdqNodes.AddInitializer(g, b + "_reshaped", Tensor.FromArray(bias.ToFloatArray(), shape));
            nodes.Add(new Node("Add", [y, br], [n.Outputs[0]], g.UniqueName(stem + "_bias_Add")));
        }
        return nodes;
    }

    /// <summary>MatMulInteger (or ConvInteger, renamed by the caller) → Cast → Mul(s_x·s_w·α) → <paramref name="y"/>.
    /// Per-channel scales are reshaped to [1, M, 1…] for Conv outputs (<paramref name="reshapeRank"/> &gt; 0).</summary>
    private static List<Node> Integer(Graph.Graph g, Node n, string w, Tensor codes, QuantParams qp, string y, float alpha, int reshapeRank)
    {
        string stem = Stem(n);
        bool scalarZero = qp.ZeroPoints.Distinct().Count() == 1;
        var zType = QdqNodes.StorageType(qp.Format);
        string wq = QdqNodes.AddInitializer(g, w + "_quantized", codes);
        string wz = QdqNodes.AddInitializer(g, w + "_zero_point",
            scalarZero ? CodeStorage.ToTensor([qp.ZeroPoints[0]], zType, []) : qp.ZeroPointTensor());
        var scales = qp.Scales.Select(s => s * alpha).ToArray();
        int[] scaleShape = scales.Length == 1 ? [] : reshapeRank > 0 ? ChannelShape(reshapeRank, scales.Length) : [scales.Length];
        string ws = QdqNodes.AddInitializer(g, w + "_scale", Tensor.FromArray(scales, scaleShape));
        string acc = g.UniqueName(stem + "_output_quantized"), accF = g.UniqueName(stem + "_output_quantized_cast");
        string scale = g.UniqueName(stem + "_scales_mul");
        return
        [
            new Node("MatMulInteger", ["$xq", wq, "$xz", wz], [acc], n.Name.Length > 0 ? n.Name : g.UniqueName(stem + "_MatMulInteger")),
            new Node("Cast", [acc], [accF], g.UniqueName(stem + "_output_quantized_cast")).With("to", (long)DType.Float32),
            new Node("Mul", ["$xs", ws], [scale], g.UniqueName(stem + "_scales_mul")),
            new Node("Mul", [accF, scale], [y], g.UniqueName(stem + "_output_mul")),
        ];
    }

    private static int[] ChannelShape(int rank, int channels)
    {
        var s = Enumerable.Repeat(1, rank).ToArray();
        s[1] = channels;
        return s;
    }

    private static Tensor Codes(Tensor w, QuantParams qp) => Affine.Quantize(w, qp);

    /// <summary>[N, K] → [K, N] for 8-bit codes.</summary>
    private static Tensor Transpose(Tensor codes)
    {
        int r = codes.Shape[0], c = codes.Shape[1];
        var src = codes.RawBytes();
        var dst = new byte[src.Length];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++) dst[j * r + i] = src[i * c + j];
        return Tensor.FromStorage(codes.DType, codes.DType == DType.Int8 ? (Array)System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(dst).ToArray() : dst, c, r);
    }

    private static string Stem(Node n) => n.Name.Length > 0 ? n.Name : n.Outputs[0];
}
