using LowBit.Reports;
using LowBit.Tensors;

namespace LowBit.Quantization.Search;

/// <summary>
/// What each quantized node's weights and bias take: in the quantized graph, the bytes of every initializer behind the
/// node's dequantized weight/bias values (codes, scales, zero points, the unpack subgraph's constants of packed codes,
/// a lookup format's table); in the float graph, the float initializers they were matched with. An initializer that
/// several nodes' chains read counts for each of them (small shared constants of unpack subgraphs).
/// </summary>
internal static class NodeBytes
{
    public static Dictionary<string, (long Parameters, long Bytes, long FloatBytes)> Of(Graph.Graph quantized, Graph.Graph prepared,
        IReadOnlyList<MatchPoint> points, IReadOnlyList<IsolationUnit> units)
    {
        var producers = quantized.Producers();
        var byPost = points.Where(p => p.RefConstant is not null).GroupBy(p => p.PostName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var result = new Dictionary<string, (long, long, long)>(StringComparer.Ordinal);
        foreach (var u in units)
        {
            long parameters = 0, bytes = 0, floatBytes = 0;
            foreach (var t in u.Tensors)
            {
                if (!byPost.TryGetValue(t, out var p)) continue;
                floatBytes += Size(p.RefConstant!);
                if (p.Kind == PointKind.Weight) parameters += p.RefConstant!.Length;
                bytes += InitializerBytesBehind(quantized, producers, t);
            }
            result[u.Key] = (parameters, bytes, floatBytes);
        }
        return result;
    }

    /// <summary>Bytes an initializer takes stored: ⌈n·bits/8⌉ (int4 codes two per byte).</summary>
    public static long Size(Tensor t) => (t.Length * t.DType.BitsPerElement() + 7) / 8;

    private static long InitializerBytesBehind(Graph.Graph g, Dictionary<string, Graph.Node> producers, string value)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([value]);
        long bytes = 0;
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (v.Length == 0 || !seen.Add(v)) continue;
            if (g.Initializers.TryGetValue(v, out var init)) bytes += Size(init);
            else if (producers.TryGetValue(v, out var n)) foreach (var i in n.Inputs) stack.Push(i);
        }
        return bytes;
    }
}
