namespace LowBit.Graph.Passes;

/// <summary>
/// The rewrite a <see cref="Runtime.Session"/> applies when <see cref="Runtime.SessionOptions.Optimize"/> is on:
/// a copy of the graph (the caller's Graph is never modified) with BatchNormalization folded and activations fused.
/// The copy shares initializer tensors with the original (passes add new tensors instead of editing them).
/// </summary>
public static class InferenceOptimizer
{
    public static Graph Optimize(Graph source)
    {
        var g = Copy(source);
        FoldBatchNorm.Apply(g);
        FuseActivations.Apply(g);
        return g;
    }

    /// <summary>New graph and node objects (attribute records and tensors shared; subgraphs shared, not rewritten).</summary>
    public static Graph Copy(Graph source)
    {
        var g = new Graph
        {
            Name = source.Name,
            Opsets = new Dictionary<string, long>(source.Opsets),
            Metadata = source.Metadata,
            DocString = source.DocString,
        };
        g.Inputs.AddRange(source.Inputs);
        g.Outputs.AddRange(source.Outputs);
        foreach (var (k, v) in source.Initializers) g.Initializers[k] = v;
        foreach (var (k, v) in source.ValueInfos) g.ValueInfos[k] = v;
        foreach (var n in source.Nodes)
        {
            var copy = new Node(n.OpType, n.Inputs, n.Outputs, n.Name, n.Domain) { DocString = n.DocString };
            foreach (var (k, a) in n.Attributes) copy.Attributes[k] = a;
            g.Nodes.Add(copy);
        }
        return g;
    }
}
