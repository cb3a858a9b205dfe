using LowBit.Formats;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Stores b-bit codes (b = 1–8) at their width in an ONNX file and restores them with standard ops, so the file size
/// follows the bits while DequantizeLinear still consumes int8/uint8 codes (ONNX has 4- and 8-bit storage only).
/// <para><b>Stored tensor.</b> The <see cref="BitPacking"/> stream (little-endian, signed codes offset binary), zero-padded
/// to G = ⌈n/8⌉ whole groups of b bytes, as a uint8 initializer of shape [G, b]: 8 codes occupy exactly b bytes and every
/// group has the same layout, so the unpack works on groups with per-column constants rather than per-element indices.
/// Size: ⌈n/8⌉·b bytes, at most b − 1 more than ⌈n·b/8⌉.</para>
/// <para><b>Unpack</b> (all int32 arithmetic on non-negative values, exact; ops ONNX Runtime's CPU provider runs on int32):
/// code j of a group starts at bit o_j = j·b, in byte l_j = ⌊o_j/8⌋ at shift s_j = o_j mod 8, and ends in byte l_j or
/// l_j + 1 (s_j + b ≤ 15). With P the groups cast to int32:</para>
/// <code>
/// word[g, j]  = P[g, l_j] + 256·P[g, h_j]         h_j = min(l_j + 1, b − 1)   (Gather ×2, Mul, Add)
/// field[g, j] = ⌊word / 2^s_j⌋ mod 2^b                                        (Div, Mod)
/// code        = field − 2^(b−1) if signed, else field                         (Sub), Cast → int8 / uint8
/// </code>
/// then Reshape to [8G], Slice to n when n is not a multiple of 8, and Reshape to the target shape. When no code
/// straddles (b = 1, 2, 4, 8), the high byte is not gathered (word = P[g, l_j]). When h_j = l_j (the last code of a
/// group ends at the group's last byte) the doubled byte lands above bit s_j + b and the mod drops it.
/// <para><b>Helper tensors</b> (beside the packed bytes): l, h and 2^s as int32[8] (32 B each), scalars 256, 2^b and
/// 2^(b−1) (4 B each), the target shape (8 B per dimension) and, for a partial last group, Slice's start/end/axis and the
/// flat shape (8 B each): under 160 B for a 2-D weight, independent of n. The ones that depend only on b (named
/// <c>unpack{b}_*</c>) are shared by every tensor of that width in a graph. With the up to 12 nodes and their value
/// names, one packed tensor adds 0.8–1.3 KB to a file (measured), which <see cref="PackedWeights"/> weighs against the
/// saving.</para>
/// </summary>
internal static class PackedCodes
{
    /// <summary>Adds the packed initializer of <paramref name="codes"/> (row-major in <paramref name="shape"/>) and
    /// returns the nodes (not yet in the graph, in execution order) whose last output, <paramref name="output"/>, is
    /// the int8 (signed) or uint8 code tensor of that shape.</summary>
    public static List<Node> AddUnpack(Graph.Graph g, string stem, ReadOnlySpan<int> codes, int bits, bool signed, int[] shape, string output)
    {
        int n = codes.Length;
        if (n == 0) throw new ArgumentException("no codes to pack");
        if (shape.Aggregate(1L, (a, d) => a * d) != n) throw new ArgumentException($"{n} codes do not fill shape [{string.Join(",", shape)}]");
        int groups = (n + 7) / 8;
        var bytes = new byte[groups * bits];
        BitPacking.Pack(codes, bits, signed, bytes);
        string packed = QdqNodes.AddInitializer(g, stem + "_packed", Tensor.FromArray(bytes, groups, bits));

        int[] low = new int[8], high = new int[8], shiftScale = new int[8];
        bool straddles = false;
        for (int j = 0; j < 8; j++)
        {
            int o = j * bits;
            low[j] = o >> 3;
            high[j] = Math.Min(low[j] + 1, bits - 1);
            shiftScale[j] = 1 << (o & 7);
            straddles |= (o & 7) + bits > 8;
        }

        var nodes = new List<Node>();
        // Nodes stay unnamed (ONNX allows it) and width-only constants are shared by every tensor of that width: names
        // are most of the per-tensor overhead in the file.
        string Name(string s) => g.UniqueName(stem + "_" + s);
        string Const(string s, Tensor t) => QdqNodes.AddInitializer(g, stem + "_" + s, t);
        string Shared(string s, Tensor t)
        {
            string name = $"unpack{bits}_{s}";
            if (g.Initializers.TryGetValue(name, out var have) && have.DType == t.DType && have.Shape.SequenceEqual(t.Shape)
                && have.ToInt64Array().SequenceEqual(t.ToInt64Array()))
                return name;
            return QdqNodes.AddInitializer(g, name, t);
        }
        string Op(string op, string what, params string[] inputs)
        {
            string y = Name(what);
            nodes.Add(new Node(op, inputs, [y]));
            return y;
        }

        string p = Op("Cast", "int32", packed);
        nodes[^1].With("to", (long)DType.Int32);
        string word = Op("Gather", "low", p, Shared("low", Tensor.FromArray(low, 8)));
        nodes[^1].With("axis", 1L);
        if (straddles)
        {
            string hi = Op("Gather", "high", p, Shared("high", Tensor.FromArray(high, 8)));
            nodes[^1].With("axis", 1L);
            hi = Op("Mul", "high_shifted", hi, Shared("byte", Tensor.Scalar(256)));
            word = Op("Add", "word", word, hi);
        }
        string field = Op("Div", "shifted", word, Shared("shift", Tensor.FromArray(shiftScale, 8)));
        field = Op("Mod", "field", field, Shared("modulus", Tensor.Scalar(1 << bits)));
        if (signed) field = Op("Sub", "signed", field, Shared("offset", Tensor.Scalar(1 << (bits - 1))));
        string typed = Op("Cast", "codes", field);
        nodes[^1].With("to", (long)(signed ? DType.Int8 : DType.UInt8));

        string flat = typed;
        if (n != groups * 8)
        {
            flat = Op("Reshape", "flat", typed, Shared("flat", Tensor.FromArray(new long[] { -1 }, 1)));
            flat = Op("Slice", "trimmed", flat, Shared("start", Tensor.FromArray(new long[] { 0 }, 1)),
                Const("end", Tensor.FromArray(new long[] { n }, 1)), Shared("axis", Tensor.FromArray(new long[] { 0 }, 1)));
        }
        string shapeName = Const("shape", Tensor.FromArray(shape.Select(d => (long)d).ToArray(), shape.Length));
        nodes.Add(new Node("Reshape", [flat, shapeName], [output]));
        return nodes;
    }
}
