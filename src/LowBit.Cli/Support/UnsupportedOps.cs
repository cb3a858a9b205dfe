using LowBit.Graph;
using LowBit.Onnx;

namespace LowBit.Cli.Support;

/// <summary>An operator type LowBit does not implement at the model's opset, with every node using it.</summary>
internal sealed record UnsupportedOp(string OpType, string Domain, long Opset, IReadOnlyList<string> Nodes)
{
    public string QualifiedName => Domain.Length > 0 ? $"{Domain}.{OpType}" : OpType;
}

internal static class UnsupportedOps
{
    /// <summary>Every unsupported (domain, op type) in the graph and its subgraphs, in first-use order.</summary>
    public static List<UnsupportedOp> Find(Graph.Graph g)
    {
        var found = new Dictionary<(string, string), (long Opset, List<string> Nodes)>();
        void Walk(Graph.Graph graph)
        {
            foreach (var n in graph.Nodes)
            {
                long opset = g.OpsetOf(n.Domain);
                if (OpTable.Find(n.Domain, n.OpType, opset) is null)
                {
                    var key = (n.Domain, n.OpType);
                    if (!found.TryGetValue(key, out var e)) found[key] = e = (opset, new List<string>());
                    e.Nodes.Add(n.DisplayName);
                }
                foreach (var s in n.Subgraphs()) Walk(s);
            }
        }
        Walk(g);
        return found.Select(kv => new UnsupportedOp(kv.Key.Item2, kv.Key.Item1, kv.Value.Opset, kv.Value.Nodes)).ToList();
    }

    /// <summary>Fails with one line naming every unsupported op type, its opset and (up to 3 of) its nodes.</summary>
    public static void ThrowIfAny(Graph.Graph g, string model)
    {
        var ops = Find(g);
        if (ops.Count == 0) return;
        static string Nodes(IReadOnlyList<string> n) =>
            n.Count <= 3 ? string.Join(", ", n) : $"{string.Join(", ", n.Take(3))} and {n.Count - 3} more";
        var parts = ops.Select(o => $"{o.QualifiedName} (opset {o.Opset}; {o.Nodes.Count} node{(o.Nodes.Count == 1 ? "" : "s")}: {Nodes(o.Nodes)})");
        throw new LowBitException(ErrorKind.UnsupportedOp,
            $"{model}: LowBit does not implement {ops.Count} operator type{(ops.Count == 1 ? "" : "s")}: {string.Join("; ", parts)}. " +
            "Use --engine ort to run it with ONNX Runtime; 'lowbit inspect' lists every node");
    }
}
