using LowBit.Formats;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Export pass: stores each DequantizeLinear weight whose codes use fewer bits than their 4- or 8-bit container (int2,
/// int3 in int4; int5–7 in int8) at that width, as <see cref="PackedCodes"/> bytes plus the unpack subgraph feeding the
/// same DequantizeLinear. Numerically a no-op: the DequantizeLinear reads the same codes, as int8/uint8 (a 4-bit
/// container's zero point is copied to the 8-bit type), and (q − z)·s is the same float computation for either type.
/// <para>The width is the smallest b (1–8) that holds every code of the tensor (signed: [−2^(b−1), 2^(b−1) − 1]; unsigned:
/// [0, 2^b − 1]), read from the codes themselves, so it is exact whatever the format was and needs no metadata; it is at
/// most the format's width. A tensor is packed only when it saves at least <see cref="MinSavedBytes"/> (the unpack
/// nodes and helper tensors add about 1 KB to the file), only when every reader is a DequantizeLinear reading it as
/// its data input, and only at opset ≥ 10 (Mod; Slice with inputs). MatMulNBits weights are not touched (that op stores
/// 4 or 8 bits only).</para>
/// <para><see cref="QuantizePipeline"/> runs it on every export, limited to the weights whose format is narrower than its
/// container (int2/int3/ternary in int4, int5–7 in int8): int4 and int8 weights keep their ONNX type, which ONNX Runtime's
/// integer kernels and MatMulNBits read. Readers that need the codes back (reports) use <see cref="PackedCodesReader"/>.</para>
/// <para>ONNX Runtime computes the unpack once: its constant folding turns the subgraph into an initializer at session
/// start, so only the file shrinks, not the run time.</para>
/// </summary>
internal static class PackedWeights
{
    public const long MinSavedBytes = 1024;

    /// <summary>Rewrites <paramref name="g"/> in place; returns the code initializers now stored packed, with their width and
    /// the value their (first) DequantizeLinear writes. <paramref name="only"/>: when given, a tensor is packed only when
    /// every DequantizeLinear reading it writes one of these values.</summary>
    public static List<(string Name, int Bits, string Dequantized)> Apply(Graph.Graph g, IReadOnlySet<string>? only = null)
    {
        var done = new List<(string, int, string)>();
        if (g.DefaultOpset < 10) return done;
        var consumers = g.Consumers();
        var graphValues = new HashSet<string>(g.Inputs.Select(v => v.Name).Concat(g.Outputs.Select(v => v.Name)), StringComparer.Ordinal);
        var widenedZeros = new Dictionary<string, string>(StringComparer.Ordinal);
        int insertAt = 0;
        foreach (var (name, t) in g.Initializers.ToList())
        {
            if (t.DType is not (DType.Int4 or DType.UInt4 or DType.Int8 or DType.UInt8) || t.Length == 0 || graphValues.Contains(name)) continue;
            if (!consumers.TryGetValue(name, out var readers) || readers.Count == 0
                || !readers.All(r => r.OpType == "DequantizeLinear" && r.Domain == "" && r.Inputs[0] == name && r.Inputs.Count(i => i == name) == 1))
                continue;
            if (only is not null && !readers.All(r => only.Contains(r.Outputs[0]))) continue;
            bool signed = t.DType is DType.Int4 or DType.Int8;
            int stored = DTypes.BitsPerElement(t.DType);
            // A 4-bit container's zero point must be an initializer to be copied to the 8-bit type of the unpacked codes.
            if (stored == 4 && !readers.All(r => r.Inputs.Count < 3 || r.Inputs[2].Length == 0 || g.Initializers.ContainsKey(r.Inputs[2])))
                continue;
            var codes = CodeStorage.FromTensor(t);
            int bits = Width(codes, signed);
            long saved = (long)t.Length * stored / 8 - (t.Length + 7L) / 8 * bits;
            if (bits >= stored || saved < MinSavedBytes) continue;

            string output = g.UniqueName(name + "_unpacked");
            var nodes = PackedCodes.AddUnpack(g, name, codes, bits, signed, t.Shape, output);
            g.Nodes.InsertRange(insertAt, nodes);  // in the graph at once, so later UniqueName calls see their names
            insertAt += nodes.Count;
            g.Initializers.Remove(name);
            foreach (var r in readers)
            {
                r.Inputs[0] = output;
                if (stored == 4 && r.Inputs.Count > 2 && r.Inputs[2].Length > 0) r.Inputs[2] = WidenedZeroPoint(g, r.Inputs[2], widenedZeros);
            }
            done.Add((name, bits, readers[0].Outputs[0]));
        }
        Prepare.ConstantFolding.RemoveUnread(g, widenedZeros.Keys.ToList());
        return done;
    }

    /// <summary>The smallest width 1–8 whose signed / unsigned range holds every code.</summary>
    internal static int Width(ReadOnlySpan<int> codes, bool signed)
    {
        int min = 0, max = 0;
        foreach (int c in codes) { min = Math.Min(min, c); max = Math.Max(max, c); }
        for (int b = 1; b < 8; b++)
            if (signed ? min >= -(1 << (b - 1)) && max < 1 << (b - 1) : max < 1 << b) return b;
        return 8;
    }

    /// <summary>An int8/uint8 copy of a 4-bit zero-point initializer (one copy per original, shared by its readers).</summary>
    private static string WidenedZeroPoint(Graph.Graph g, string zero, Dictionary<string, string> cache)
    {
        if (cache.TryGetValue(zero, out var name)) return name;
        var z = g.Initializers[zero];
        var wide = z.DType switch
        {
            DType.Int4 => DType.Int8,
            DType.UInt4 => DType.UInt8,
            _ => throw new InvalidOperationException($"zero point '{zero}' is {z.DType.Name()}, expected a 4-bit type"),
        };
        name = QdqNodes.AddInitializer(g, zero + "_8bit", CodeStorage.ToTensor(CodeStorage.FromTensor(z), wide, z.Shape));
        cache[zero] = name;
        return name;
    }
}
