using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Reports;

internal enum PointKind { Activation, Weight, Bias, Constant, Float }

/// <summary>One compared value: <see cref="PostName"/> in the quantized graph against <see cref="RefName"/> in the
/// float graph. Activations also compare <see cref="PreName"/> (the QuantizeLinear input); static points (weights,
/// biases, constants) compare against <see cref="RefConstant"/>.</summary>
internal sealed record MatchPoint(PointKind Kind, string RefName, string? PreName, string PostName, Node? Node, QuantFormat? Format, Tensor? RefConstant)
{
    public bool IsStatic => RefConstant is not null;

    public string KindName => Kind switch
    {
        PointKind.Activation => "activation",
        PointKind.Weight => "weight",
        PointKind.Bias => "bias",
        PointKind.Constant => "constant",
        _ => "float",
    };
}

/// <summary>
/// Pairs values of a quantized (QDQ) graph with the float graph it came from. Rules, in order:
/// <list type="number">
/// <item>QuantizeLinear(X) → DequantizeLinear → X': X' is compared with the float value X (same name in both graphs;
/// when X is not in the float graph, as for a quantized graph output renamed <c>T_float</c>, X' is compared with the
/// float value named like X'). X itself is compared too (the error arriving from upstream). When X is an initializer
/// (float weight behind Q/DQ) the pair is a static weight.</item>
/// <item>DequantizeLinear of stored codes (an initializer) → W': compared with the float initializer named W' (LowBit and
/// ONNX Runtime keep the weight's name), else with the float initializer at the same input position of the float node
/// that has the reader's node name (biases, renamed copies); a Gemm B stored transposed (transB differs) is transposed
/// back. int32 codes are biases; codes read as input 1 of
/// Conv/ConvTranspose/Gemm/MatMul are weights; others are constants.</item>
/// <item>Every other output of a non-Q/DQ node whose name exists in the float graph: compared by name ("float").</item>
/// </list>
/// Codes stored bit-packed (an unpack subgraph of initializers feeding the DequantizeLinear) count as stored codes. A lookup
/// weight (Mul(Gather(table, codes), scale) writing a float initializer's name, Quantization/Qdq/LookupWeights.cs) is a
/// static weight compared with that initializer. Anything
/// else quantized (MatMulNBits' packed weights, DequantizeLinear of computed codes) is listed as unmatched.
/// </summary>
internal static class LayerMatching
{
    internal sealed record Plan(List<MatchPoint> Points, List<string> Unmatched);

    public static bool IsQ(Node n) => n.OpType == "QuantizeLinear" && n.Domain is "" or "com.microsoft";
    public static bool IsDQ(Node n) => n.OpType == "DequantizeLinear" && n.Domain is "" or "com.microsoft";

    public static Plan Match(Graph.Graph reference, Graph.Graph quantized)
    {
        var refInit = reference.Initializers;
        var refValues = new HashSet<string>(reference.Inputs.Select(v => v.Name), StringComparer.Ordinal);
        foreach (var n in reference.Nodes) foreach (var o in n.Outputs) if (o.Length > 0) refValues.Add(o);
        var refNodes = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var n in reference.Nodes) if (n.Name.Length > 0) refNodes.TryAdd(n.Name, n);
        var producers = quantized.Producers();
        var consumers = quantized.Consumers();
        var points = new List<MatchPoint>();
        var unmatched = new List<string>();
        List<Node> Readers(string v) => consumers.GetValueOrDefault(v) ?? [];

        foreach (var q in quantized.Nodes.Where(IsQ))
        {
            string x = q.Inputs[0];
            foreach (var dq in Readers(q.Outputs[0]).Where(IsDQ))
            {
                string post = dq.Outputs[0];
                var format = QuantFormat.Of(quantized, q, producers);
                if (quantized.Initializers.ContainsKey(x))
                {
                    if (refInit.TryGetValue(x, out var w)) points.Add(new(Kind(Readers(post), post, null), x, null, post, Readers(post).FirstOrDefault(), format, w));
                    else unmatched.Add($"{post}: quantizes initializer '{x}', which the float model does not have");
                    continue;
                }
                string? refName = refValues.Contains(x) ? x : refValues.Contains(post) ? post : null;
                if (refName is null) unmatched.Add($"{post}: neither '{x}' nor '{post}' is a value of the float model");
                else points.Add(new(PointKind.Activation, refName, x, post, producers.GetValueOrDefault(x), format, null));
            }
        }

        foreach (var dq in quantized.Nodes.Where(IsDQ))
        {
            string codes = dq.Inputs[0], post = dq.Outputs[0];
            if (producers.TryGetValue(codes, out var p) && IsQ(p)) continue;
            // Codes stored bit-packed are computed by an unpack subgraph of initializers: still stored codes.
            var stored = quantized.Initializers.GetValueOrDefault(codes) ?? Quantization.Qdq.PackedCodesReader.TryRead(quantized, codes, producers)?.Codes;
            if (stored is null)
            {
                unmatched.Add($"{post}: dequantizes computed codes '{codes}'");
                continue;
            }
            var readers = Readers(post);
            string? refName = refInit.ContainsKey(post) ? post : null;
            foreach (var r in readers)
            {
                if (refName is not null) break;
                if (r.Name.Length == 0 || !refNodes.TryGetValue(r.Name, out var rn)) continue;
                int i = r.Inputs.IndexOf(post);
                if (i >= 0 && i < rn.Inputs.Count && refInit.ContainsKey(rn.Inputs[i])) refName = rn.Inputs[i];
            }
            if (refName is null)
            {
                unmatched.Add($"{post}: no float initializer named '{post}' or at the same input of a node named like its reader");
                continue;
            }
            points.Add(new(Kind(readers, post, stored.DType), refName, null, post, readers.FirstOrDefault(), QuantFormat.Of(quantized, dq, producers),
                AlignLayout(refInit[refName], readers, refNodes)));
        }

        // Lookup weights (Quantization/Qdq/LookupWeights.cs): Mul(Gather(table, codes), scale) writes the float weight's name.
        foreach (var mul in quantized.Nodes.Where(n => n.OpType == "Mul" && n.Domain == "" && n.Inputs.Count == 2 && refInit.ContainsKey(n.Outputs[0])))
        {
            if (!producers.TryGetValue(mul.Inputs[0], out var gather) || gather.OpType != "Gather" || !quantized.Initializers.ContainsKey(gather.Inputs[0]))
                continue;
            string post = mul.Outputs[0];
            var readers = Readers(post);
            points.Add(new(Kind(readers, post, null), post, null, post, readers.FirstOrDefault(), QuantFormat.OfLookup(quantized, mul, gather, producers),
                AlignLayout(refInit[post], readers, refNodes)));
        }

        var taken = new HashSet<string>(points.Select(p => p.PostName), StringComparer.Ordinal);
        taken.UnionWith(points.Where(p => p.PreName is not null).Select(p => p.PreName!));
        foreach (var n in quantized.Nodes.Where(n => !IsQ(n) && !IsDQ(n)))
            foreach (var o in n.Outputs)
                if (o.Length > 0 && !taken.Contains(o) && refValues.Contains(o) && !refInit.ContainsKey(o) && taken.Add(o))
                    points.Add(new(PointKind.Float, o, null, o, n, null, null));
        return new Plan(points, unmatched);
    }

    /// <summary>The float weight in the layout the quantized graph stores: weight-only preparation stores a Gemm's B
    /// transposed (transB 1 → 0, same name), so B is transposed back when the same-named float Gemm differs in transB.</summary>
    private static Tensor AlignLayout(Tensor w, List<Node> readers, Dictionary<string, Node> refNodes)
    {
        var gemm = readers.FirstOrDefault(r => r.OpType == "Gemm" && r.Name.Length > 0);
        if (gemm is null || w.Rank != 2 || w.DType != DType.Float32 || !refNodes.TryGetValue(gemm.Name, out var rn)) return w;
        if ((gemm.Get<long?>("transB") ?? 0) == (rn.Get<long?>("transB") ?? 0)) return w;
        int rows = w.Shape[0], cols = w.Shape[1];
        var src = w.AsReadOnlySpan<float>();
        var t = new float[src.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = src[i * cols + j];
        return Tensor.FromArray(t, cols, rows);
    }

    private static PointKind Kind(List<Node> readers, string value, DType? codes)
    {
        if (codes == DType.Int32) return PointKind.Bias;
        bool weight = readers.Any(r => r.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" && r.Inputs.Count > 1 && r.Inputs[1] == value);
        return weight ? PointKind.Weight : PointKind.Constant;
    }
}
