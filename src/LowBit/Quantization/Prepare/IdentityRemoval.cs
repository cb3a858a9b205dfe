using LowBit.Graph;

namespace LowBit.Quantization.Prepare;

/// <summary>
/// Removes nodes that are the identity at inference: <c>Identity</c> and <c>Dropout</c> in inference mode (no
/// training_mode input, or a constant false one) whose mask output nobody reads (a quantized model is an inference model:
/// a legacy Dropout's is_test flag is ignored, as ONNX Runtime does). Readers of the output then read the input, so a Dropout between a Gemm and its Relu no longer
/// hides the pair from the quantizer (and from ONNX Runtime's fusions). Nodes whose output is a graph output stay.
/// </summary>
internal static class IdentityRemoval
{
    public static int Apply(Graph.Graph g)
    {
        var outputs = new HashSet<string>(g.Outputs.Select(o => o.Name));
        int removed = 0;
        foreach (var node in g.Nodes.ToList())
        {
            if (node.Domain.Length != 0 || !IsIdentity(g, node) || node.Inputs.Count == 0 || node.Inputs[0].Length == 0) continue;
            string from = node.Outputs[0], to = node.Inputs[0];
            if (outputs.Contains(from)) continue;
            if (g.Nodes.Any(n => n.Subgraphs().Any(s => s.OuterScopeReferences().Contains(from)))) continue;
            foreach (var n in g.Nodes)
                for (int i = 0; i < n.Inputs.Count; i++)
                    if (n.Inputs[i] == from) n.Inputs[i] = to;
            g.Nodes.Remove(node);
            removed++;
        }
        return removed;
    }

    private static bool IsIdentity(Graph.Graph g, Node n)
    {
        if (n.OpType == "Identity") return n.Outputs.Count == 1;
        if (n.OpType != "Dropout" || n.Outputs.Count == 0) return false;
        if (n.Outputs.Skip(1).Any(o => o.Length > 0)) return false;
        if (n.Inputs.Count > 2 && n.Inputs[2].Length > 0)
        {
            if (!g.Initializers.TryGetValue(n.Inputs[2], out var t) || t.Length != 1 || t.GetDouble(0) != 0) return false;
        }
        return true;
    }
}
