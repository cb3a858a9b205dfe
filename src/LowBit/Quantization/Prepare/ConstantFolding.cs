using LowBit.Graph;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Quantization.Prepare;

/// <summary>
/// Evaluates nodes whose inputs are all initializers (or that have none: <c>Constant</c>) and stores their outputs as
/// initializers: fp16 weights behind <c>Cast</c>, <c>Reshape</c>/<c>Transpose</c> of constant weights, shape
/// arithmetic on constants. Afterwards a weight feeding Conv/MatMul is an initializer the quantizer can store as
/// integers. Not folded: nodes with subgraphs, random generators, existing Q/DQ (kept visible), nodes that produce a graph
/// output, and expansions whose outputs exceed 4× their inputs and 1 MiB (folding them would grow the file).
/// Initializers read only by folded nodes are dropped.
/// </summary>
internal static class ConstantFolding
{
    private static readonly HashSet<string> Never =
    [
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
    ];

    private const long GrowthFloorBytes = 1 << 20;

    /// <summary>Rewrites <paramref name="g"/> in place (nodes in topological order); returns the number of nodes folded.</summary>
    public static int Apply(Graph.Graph g)
    {
        var outputs = new HashSet<string>(g.Outputs.Select(o => o.Name));
        var graphInputs = new HashSet<string>(g.Inputs.Select(i => i.Name));
        var inputsOfFolded = new HashSet<string>();
        int folded = 0;
        foreach (var node in g.Nodes.ToList())
        {
            if (!Foldable(g, node, outputs, graphInputs)) continue;
            var values = node.Inputs.Select(i => i.Length == 0 ? null : g.Initializers[i]).ToArray();
            Tensor?[] results;
            try
            {
                var op = OpTable.Bind(node, g.OpsetOf(node.Domain));
                results = op.Invoke(new OpContext { Node = node, Opset = op.Opset }, values);
            }
            catch (Exception e) when (e is LowBitException or ArgumentException or NotSupportedException or InvalidOperationException)
            {
                continue;  // leave it to the runtime, which reports the error with the real inputs
            }
            long inBytes = values.Sum(v => v is null ? 0 : Bytes(v));
            long outBytes = results.Sum(r => r is null ? 0 : Bytes(r));
            if (outBytes > GrowthFloorBytes && outBytes > 4 * inBytes) continue;
            for (int o = 0; o < node.Outputs.Count; o++)
                if (node.Outputs[o].Length > 0 && o < results.Length && results[o] is Tensor t) g.Initializers[node.Outputs[o]] = t;
            inputsOfFolded.UnionWith(node.Inputs.Where(i => i.Length > 0));
            g.Nodes.Remove(node);
            folded++;
        }
        if (folded > 0) RemoveUnread(g, inputsOfFolded);
        return folded;
    }

    private static bool Foldable(Graph.Graph g, Node node, HashSet<string> outputs, HashSet<string> graphInputs)
    {
        if (Never.Contains(node.OpType) || node.Subgraphs().Any()) return false;
        if (node.Outputs.Any(outputs.Contains)) return false;
        if (!node.Outputs.Any(o => o.Length > 0)) return false;
        // An initializer that is also a graph input (IR ≥ 4) is an overridable default, not a constant.
        return node.Inputs.All(i => i.Length == 0 || (g.Initializers.ContainsKey(i) && !graphInputs.Contains(i)))
            && OpTable.Find(node.Domain, node.OpType, g.OpsetOf(node.Domain)) is not null;
    }

    private static long Bytes(Tensor t) => t.DType == DType.String ? t.Length * 8L : t.DType.StorageLength(t.Length) * t.DType.StorageElementSize();

    /// <summary>Drops the candidates nothing reads any more (nodes, subgraphs, graph outputs or inputs).</summary>
    internal static void RemoveUnread(Graph.Graph g, IEnumerable<string> candidates)
    {
        var used = new HashSet<string>(g.Nodes.SelectMany(n => n.AllInputNames()));
        used.UnionWith(g.Outputs.Select(o => o.Name));
        used.UnionWith(g.Inputs.Select(i => i.Name));
        foreach (var name in candidates)
            if (!used.Contains(name)) g.Initializers.Remove(name);
    }
}
