using LowBit.Graph;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Reads back the codes that <see cref="PackedCodes"/> stored: for a value written by an unpack subgraph, evaluates that
/// subgraph once (its inputs are all initializers) and returns the int8/uint8 code tensor with the stored width b.
/// <para>Recognized shape: at most <see cref="MaxNodes"/> default-domain nodes of the unpack's op types, every input an
/// initializer or the output of one of them, rooted at a uint8 initializer of shape [G, b] (1 ≤ b ≤ 8) and containing a
/// Mod by the scalar 2^b, the result int8 or uint8. Anything else (a DequantizeLinear of activations, codes computed from
/// graph inputs) is not packed storage and gives null.</para>
/// </summary>
internal static class PackedCodesReader
{
    private const int MaxNodes = 16;

    private static readonly HashSet<string> UnpackOps = ["Cast", "Gather", "Mul", "Add", "Div", "Mod", "Sub", "Reshape", "Slice"];

    /// <summary>The codes that <paramref name="value"/> holds and their stored width, or null when it is not the output of
    /// an unpack subgraph. <paramref name="producers"/>: <see cref="Graph.Graph.Producers"/> of <paramref name="g"/>.</summary>
    public static (Tensor Codes, int Bits)? TryRead(Graph.Graph g, string value, IReadOnlyDictionary<string, Node> producers)
    {
        if (g.Initializers.ContainsKey(value)) return null;
        var nodes = new List<Node>();
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>([value]);
        while (pending.Count > 0)
        {
            string v = pending.Pop();
            if (v.Length == 0 || g.Initializers.ContainsKey(v)) continue;
            if (!producers.TryGetValue(v, out var n) || n.Domain.Length > 0 || !UnpackOps.Contains(n.OpType) || n.Subgraphs().Any()) return null;
            if (!seen.Add(n)) continue;
            if (nodes.Count == MaxNodes) return null;
            nodes.Add(n);
            foreach (var i in n.Inputs) pending.Push(i);
        }

        var roots = nodes.SelectMany(n => n.Inputs).Where(i => i.Length > 0 && g.Initializers.TryGetValue(i, out var t) && t.DType == DType.UInt8 && t.Rank == 2)
            .Distinct().ToList();
        if (roots.Count != 1) return null;
        int bits = g.Initializers[roots[0]].Shape[1];
        if (bits is < 1 or > 8) return null;
        if (!nodes.Any(n => n.OpType == "Mod" && n.Inputs.Count == 2 && g.Initializers.TryGetValue(n.Inputs[1], out var m) && m.Length == 1 && m.GetInt64(0) == 1L << bits))
            return null;

        // Evaluate in dependency order (≤ MaxNodes nodes: repeated sweeps are cheap and need no sorted graph).
        var env = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Tensor? Lookup(string i) => i.Length == 0 ? null : env.TryGetValue(i, out var t) ? t : g.Initializers.GetValueOrDefault(i);
        var left = nodes.ToList();
        while (left.Count > 0)
        {
            var ready = left.FirstOrDefault(n => n.Inputs.All(i => i.Length == 0 || env.ContainsKey(i) || g.Initializers.ContainsKey(i)));
            if (ready is null) return null;
            left.Remove(ready);
            Tensor?[] results;
            try
            {
                var op = OpTable.Bind(ready, g.OpsetOf(ready.Domain));
                results = op.Invoke(new OpContext { Node = ready, Opset = op.Opset }, ready.Inputs.Select(Lookup).ToArray());
            }
            catch (Exception e) when (e is LowBitException or ArgumentException or NotSupportedException or InvalidOperationException)
            {
                return null;
            }
            for (int o = 0; o < ready.Outputs.Count && o < results.Length; o++)
                if (ready.Outputs[o].Length > 0 && results[o] is Tensor t) env[ready.Outputs[o]] = t;
        }
        return env.TryGetValue(value, out var codes) && codes.DType is DType.Int8 or DType.UInt8 ? (codes, bits) : null;
    }
}
