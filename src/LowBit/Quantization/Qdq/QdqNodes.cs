using LowBit.Formats;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Builds the stored-integer pieces shared by the rewriters: a weight's integer initializer, scale and zero point, and
/// the DequantizeLinear that restores the original value name (so its readers are untouched, as ONNX Runtime's
/// quantizer does). Axis attributes: per channel → axis; per group → axis and block_size (opset 21).
/// </summary>
internal static class QdqNodes
{
    /// <summary>Replaces float initializer <paramref name="name"/> by integers + DequantizeLinear producing
    /// <paramref name="output"/> (default: the same name). Returns the DQ node (not yet in the graph).</summary>
    public static Node DequantizedInitializer(Graph.Graph g, string name, QuantParams p, string? output = null)
    {
        if (LookupWeights.Applies(p.Format))
            throw new InvalidOperationException($"'{name}': {p.Format.Name} has no DequantizeLinear codes; it is exported by LookupWeights.Replace");
        var t = g.Initializers[name];
        var codes = Affine.Quantize(t.DType == DType.Float32 ? t : Tensor.FromArray(t.ToFloatArray(), t.Shape), p);
        string q = AddInitializer(g, name + "_quantized", codes);
        string s = AddInitializer(g, name + "_scale", p.ScaleTensor());
        string z = AddInitializer(g, name + "_zero_point", p.ZeroPointTensor());
        if (output is null)
        {
            g.Initializers.Remove(name);
            g.Inputs.RemoveAll(v => v.Name == name);
        }
        var dq = new Node("DequantizeLinear", [q, s, z], [output ?? name], g.UniqueName(name + "_DequantizeLinear"));
        SetAxis(dq, p);
        return dq;
    }

    public static void SetAxis(Node n, QuantParams p)
    {
        if (p.Axis is int axis) n.With("axis", (long)axis);
        if (p.BlockSize is int b) n.With("block_size", (long)b);
    }

    public static string AddInitializer(Graph.Graph g, string stem, Tensor t)
    {
        string name = g.UniqueName(stem);
        g.Initializers[name] = t;
        return name;
    }

    /// <summary>Number of bytes a tensor occupies in the file (packed 4-bit types count half a byte per element).</summary>
    public static long Bytes(Tensor t) => t.DType.StorageLength(t.Length) * t.DType.StorageElementSize();

    public static DType StorageType(INumberFormat f) => f.OnnxType ?? throw new NotSupportedException($"{f.Name} has no ONNX type");
}
