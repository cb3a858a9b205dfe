using LowBit.Formats;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Export of weights in formats without integer storage (fp4, nf4, binary, pot3..5, apot3..5: <see cref="Applies"/>)
/// as packed grid codes + a lookup table, standard ONNX ops only. For a weight W of n elements under a b-bit format:
/// <code>
/// codes  = Encode(W / s)                       the format's codes (unsigned b-bit patterns), as Affine.Quantize picks them
/// stored : PackedCodes bytes [⌈n/8⌉, b]        unpacked by PackedCodes.AddUnpack to uint8 codes, then Cast → int32
/// table  = float32[2^b], table[c] = Decode(c)  (0 for a bit pattern outside the grid, never produced by Encode)
/// W'     = Gather(table, codes) · S            one float32 product per element
/// </code>
/// S is s as a float32 scalar (per tensor), s shaped [1, …, C, …, 1] with C on the channel axis (per channel), or, per
/// group, Gather(s, ⌊k/B⌋ for k = 0 .. K − 1, axis) over the blocked ONNX scale layout (its K int32 indices cost 4·K bytes).
/// W' = table[c]·s = (Decode(c) − 0)·s, the float32 value Affine.Dequantize (and so LowBit's simulation) gives; z = 0.
/// W' is written under the weight's own name, so its readers are untouched.
/// <para>Size: ⌈n/8⌉·b bytes of codes (at most b − 1 above ⌈n·b/8⌉) + 4·2^b bytes of table + the scales + under 1.5 KB
/// of unpack helpers and node names per tensor (<see cref="PackedCodes"/>). ONNX Runtime folds the whole subgraph into a
/// float32 initializer at session start and runs the float op: the file shrinks, nothing runs faster.</para>
/// </summary>
internal static class LookupWeights
{
    /// <summary>Formats exported this way: no integer grid and not FP8 (which has float8 DequantizeLinear).</summary>
    public static bool Applies(INumberFormat f) => f.IntegerRange is null && !WeightQuantConfig.IsFloat8(f);

    /// <summary>Bits per stored code: log2 of the code count (the formats' BitsPerWeight is integral).</summary>
    public static int Bits(INumberFormat f) => checked((int)f.BitsPerWeight);

    /// <summary>The lookup table: grid value of every b-bit code.</summary>
    public static float[] Table(INumberFormat f)
    {
        var table = new float[1 << Bits(f)];
        for (int c = 0; c < table.Length; c++)
        {
            try { table[c] = f.Decode(c); }
            catch (ArgumentOutOfRangeException) { table[c] = 0; }
        }
        return table;
    }

    /// <summary>Replaces float initializer <paramref name="name"/> by packed codes, table and scale, and returns the nodes
    /// (not yet in the graph, in execution order) whose last output is <paramref name="name"/>.</summary>
    public static List<Node> Replace(Graph.Graph g, string name, QuantParams p)
    {
        if (!Applies(p.Format)) throw new ArgumentException($"{p.Format.Name} is not a lookup format");
        var t = g.Initializers[name];
        var x = t.DType == DType.Float32 ? t.AsReadOnlySpan<float>() : t.ToFloatArray();
        var codes = new int[t.Length];
        Affine.Quantize(x, t.Shape, p, codes);
        g.Initializers.Remove(name);
        g.Inputs.RemoveAll(v => v.Name == name);

        string unpacked = g.UniqueName(name + "_lookup_code");
        var nodes = PackedCodes.AddUnpack(g, name, codes, Bits(p.Format), signed: false, t.Shape, unpacked);
        string Op(string op, string output, params string[] inputs)
        {
            nodes.Add(new Node(op, inputs, [output]));
            return output;
        }
        string indices = Op("Cast", g.UniqueName(name + "_lookup_index"), unpacked);
        nodes[^1].With("to", (long)DType.Int32);
        string table = TableName(g, p.Format);
        string values = Op("Gather", g.UniqueName(name + "_lookup_value"), table, indices);
        Op("Mul", name, values, Scale(g, name, p, t.Shape, nodes));
        return nodes;
    }

    /// <summary>The table initializer of <paramref name="f"/>, shared by every weight of that format in the graph.</summary>
    private static string TableName(Graph.Graph g, INumberFormat f)
    {
        var table = Table(f);
        string name = $"lookup_{f.Name}_table";
        if (g.Initializers.TryGetValue(name, out var have) && have.DType == DType.Float32 && have.AsReadOnlySpan<float>().SequenceEqual(table))
            return name;
        return QdqNodes.AddInitializer(g, name, Tensor.FromArray(table, table.Length));
    }

    /// <summary>The scale operand S of the Mul (see the class remarks); per group adds its Gather to <paramref name="nodes"/>.</summary>
    private static string Scale(Graph.Graph g, string name, QuantParams p, int[] shape, List<Node> nodes)
    {
        var scales = (float[])p.Scales.Clone();
        switch (p.Granularity)
        {
            case PerTensor:
                return QdqNodes.AddInitializer(g, name + "_scale", Tensor.FromArray(scales, []));
            case PerChannel c:
            {
                int axis = Granularity.ResolveAxis(c.Axis, shape.Length);
                var s = new int[shape.Length];
                Array.Fill(s, 1);
                s[axis] = scales.Length;
                return QdqNodes.AddInitializer(g, name + "_scale", Tensor.FromArray(scales, s));
            }
            case PerGroup gr:
            {
                int axis = Granularity.ResolveAxis(gr.Axis, shape.Length), k = shape[axis];
                var blockOf = new int[k];
                for (int i = 0; i < k; i++) blockOf[i] = i / gr.BlockSize;
                string blocked = QdqNodes.AddInitializer(g, name + "_scale", Tensor.FromArray(scales, p.ScaleShape));
                string index = QdqNodes.AddInitializer(g, name + "_scale_index", Tensor.FromArray(blockOf, k));
                string full = g.UniqueName(name + "_scale_full");
                nodes.Add(new Node("Gather", [blocked, index], [full]).With("axis", (long)axis));
                return full;
            }
            default:
                throw new NotSupportedException(p.Granularity.ToString());
        }
    }
}
