using System.Security.Cryptography;
using LowBit.Graph;
using LowBit.Quantization.Qdq;

namespace LowBit.Quantization;

/// <summary>Collects the manifest's tensor and node entries from the marks and parameters of one run.</summary>
internal static class ManifestBuilder
{
    /// <summary>Scales (and zero points) written in full up to this count; larger sets keep only their hash.</summary>
    public const int InlineLimit = 4096;

    /// <summary><see cref="TensorEntry.Export"/> of weights stored as packed codes + lookup table (Qdq/LookupWeights.cs).</summary>
    public const string LookupExport = "lookup";

    public static List<TensorEntry> Tensors(QdqPlan plan, QdqParams p, IReadOnlyDictionary<string, int[]> weightShapes,
        IReadOnlyDictionary<Node, string> nodeKeys, IReadOnlyDictionary<string, List<string>> readers, string weightExport,
        IReadOnlyCollection<string> matMulNBitsNodes)
    {
        var list = new List<TensorEntry>();
        List<string> Readers(string t) => readers.TryGetValue(t, out var r) ? r : [];
        foreach (var (root, members) in plan.Groups())
        {
            var cfg = plan.GroupConfig(root, members);
            p.Ranges.TryGetValue(root, out var range);
            foreach (var t in members)
                if (p.Activations.TryGetValue(t, out var q))
                    list.Add(Entry(t, "activation", q, ConfigNames.Name(cfg.Scheme), null, range is null ? null : [range.Min, range.Max],
                        root, Readers(t), "QuantizeLinear+DequantizeLinear"));
        }
        foreach (var (name, w) in plan.Weights)
        {
            var q = p.Weights[name];
            bool lookup = LookupWeights.Applies(q.Format) && weightExport == "DequantizeLinear";
            var export = lookup ? LookupExport : matMulNBitsNodes.Contains(nodeKeys[w.Node]) ? "MatMulNBits" : weightExport;
            var entry = Entry(name, "weight", q, ConfigNames.Name(w.Config.Scheme), weightShapes[name], null, null, Readers(name), export);
            list.Add(lookup ? entry with { PackedBits = LookupWeights.Bits(q.Format) } : entry);
        }
        foreach (var (name, c) in plan.Constants)
            list.Add(Entry(name, "constant", p.Constants[name], ConfigNames.Name(c.Config.Scheme), weightShapes[name], null, null, Readers(name), "DequantizeLinear"));
        foreach (var b in plan.Biases)
        {
            if (!p.Activations.TryGetValue(b.Input, out var px) || !p.Weights.TryGetValue(b.Weight, out var pw)) continue;
            var shape = weightShapes[b.Bias];
            int n = shape.Aggregate(1, (x, y) => x * y);
            if (QdqRewriter.BiasScales(px, pw, n) is not float[] scales) continue;
            int[] scaleShape = scales.Length == 1 ? [] : [scales.Length];
            list.Add(new TensorEntry(b.Bias, "bias", "int32", "symmetric", scales.Length == 1 ? "per-tensor" : $"per-channel(axis {(shape.Length == 2 ? 1 : 0)})",
                scales.Length == 1 ? null : shape.Length == 2 ? 1 : 0, null, shape, scaleShape, scales, new int[scales.Length], Hash(scales, new int[scales.Length]),
                null, null, [nodeKeys[b.Node]], "DequantizeLinear(int32)"));
        }
        return list;
    }

    private static TensorEntry Entry(string name, string kind, QuantParams q, string? scheme, int[]? shape, float[]? range, string? group,
        IReadOnlyList<string> nodes, string export)
    {
        bool inline = q.Scales.Length <= InlineLimit;
        var codebook = q.Format is Formats.CodebookFormat { IsLearned: true } c ? c.Grid.ToArray() : null;
        return new TensorEntry(name, kind, q.Format.Name, scheme, q.Granularity.ToString(), q.Axis, q.BlockSize, shape, q.ScaleShape,
            inline ? q.Scales : null, inline ? q.ZeroPoints : null, Hash(q.Scales, q.ZeroPoints, codebook), range, group, nodes, export)
        { Codebook = codebook };
    }

    /// <summary>SHA-256 of the float32 scales, the int32 zero points and, for a codebook format, its float32 levels.</summary>
    public static string Hash(float[] scales, int[] zeroPoints, float[]? codebook = null)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(scales.AsSpan()));
        h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(zeroPoints.AsSpan()));
        if (codebook is not null) h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(codebook.AsSpan()));
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    public static List<NodeEntry> Nodes(IEnumerable<Node> nodes, QdqPlan plan, IReadOnlyDictionary<Node, string> keys) =>
        nodes.Select(n => plan.Quantized.Contains(n)
            ? new NodeEntry(keys[n], n.OpType, true, null)
            : new NodeEntry(keys[n], n.OpType, false, plan.FloatReasons.GetValueOrDefault(n, "not quantized"))).ToList();
}
