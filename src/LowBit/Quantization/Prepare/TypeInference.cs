using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Prepare;

/// <summary>
/// Element types of every value of a graph, enough to tell float activations (quantizable) from integer shape arithmetic
/// and masks: declared types (inputs, initializers, value_info) first, then per-op rules in topological order. Ops
/// not listed return the type of their first typed input, which holds for element-wise math, convolution, pooling
/// and data movement. Unknown stays <see cref="DType.Undefined"/>, and undefined values are never quantized.
/// </summary>
internal static class TypeInference
{
    private static readonly HashSet<string> Int64Out =
        ["Shape", "Size", "NonZero", "ArgMax", "ArgMin", "NonMaxSuppression", "TopK:1", "Unique:1", "Unique:2", "Unique:3", "MaxPool:1"];

    private static readonly HashSet<string> BoolOut =
        ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf"];

    public static Dictionary<string, DType> Infer(Graph.Graph g)
    {
        var t = new Dictionary<string, DType>();
        foreach (var (k, v) in g.ValueInfos) if (v.DType != DType.Undefined) t[k] = v.DType;
        foreach (var v in g.Inputs) t[v.Name] = v.DType;
        foreach (var v in g.Outputs) if (v.DType != DType.Undefined) t.TryAdd(v.Name, v.DType);
        foreach (var (k, v) in g.Initializers) t[k] = v.DType;
        foreach (var n in g.Nodes)
            for (int o = 0; o < n.Outputs.Count; o++)
            {
                string name = n.Outputs[o];
                if (name.Length == 0 || t.ContainsKey(name)) continue;
                var d = Rule(n, o, t);
                if (d != DType.Undefined) t[name] = d;
            }
        return t;
    }

    private static DType BodyOutput(Node n, string attribute, int index)
    {
        if (n.Get<Graph.Graph>(attribute) is not { } body || index >= body.Outputs.Count) return DType.Undefined;
        var declared = body.Outputs[index].DType;
        return declared != DType.Undefined ? declared : Infer(body).GetValueOrDefault(body.Outputs[index].Name, DType.Undefined);
    }

    private static DType Rule(Node n, int output, Dictionary<string, DType> t)
    {
        DType In(int i) => i < n.Inputs.Count && t.TryGetValue(n.Inputs[i], out var d) ? d : DType.Undefined;
        if (n.Domain.Length == 0 || n.Domain == "com.microsoft")
        {
            if (Int64Out.Contains(n.OpType) || Int64Out.Contains($"{n.OpType}:{output}")) return DType.Int64;
            if (BoolOut.Contains(n.OpType)) return DType.Bool;
            switch (n.OpType)
            {
                case "Cast": return n.Attributes.TryGetValue("to", out var to) && to.Value is long l ? (DType)l : DType.Undefined;
                case "CastLike": return In(1);
                case "Constant": return n.Attributes.Values.FirstOrDefault()?.Value switch
                {
                    Tensor c => c.DType,
                    float or float[] => DType.Float32,
                    long or long[] => DType.Int64,
                    _ => DType.Undefined,
                };
                case "ConstantOfShape": return n.Get<Tensor>("value")?.DType ?? DType.Float32;
                case "EyeLike" or "RandomNormalLike" or "RandomUniformLike":
                    return n.Attributes.TryGetValue("dtype", out var dt) && dt.Value is long dl ? (DType)dl : In(0);
                case "RandomNormal" or "RandomUniform":
                    return n.Attributes.TryGetValue("dtype", out var rd) && rd.Value is long rl ? (DType)rl : DType.Float32;
                case "Where": return In(1);
                case "QuantizeLinear": return In(2) != DType.Undefined ? In(2) : DType.UInt8;
                case "DequantizeLinear": return In(1);
                case "DynamicQuantizeLinear": return output == 1 ? DType.Float32 : DType.UInt8;
                case "MatMulInteger" or "ConvInteger": return DType.Int32;
                // Control flow: the type of the body output that becomes this output (If: then_branch output o; Loop:
                // body output o + 1, after the condition; Scan: body output o).
                case "If": return BodyOutput(n, "then_branch", output);
                case "Loop": return BodyOutput(n, "body", output + 1);
                case "Scan": return BodyOutput(n, "body", output);
                case "Range" or "Gather" or "GatherElements" or "GatherND" or "Expand" or "Tile" or "Slice" or "Reshape" or "Pad":
                    return In(0);
            }
        }
        for (int i = 0; i < n.Inputs.Count; i++)
            if (In(i) != DType.Undefined) return In(i);
        return DType.Undefined;
    }
}
