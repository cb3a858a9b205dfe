namespace LowBit.Quantization.Prepare;

/// <summary>
/// A copy of a graph that passes may rewrite without touching the caller's: new node objects, lists, dictionaries and
/// metadata. Tensors, attribute records and subgraphs are shared; passes must add new tensors instead of editing them.
/// </summary>
internal static class GraphCopy
{
    public static Graph.Graph Of(Graph.Graph source)
    {
        var meta = new Graph.ModelMetadata
        {
            IrVersion = source.Metadata.IrVersion,
            ProducerName = source.Metadata.ProducerName,
            ProducerVersion = source.Metadata.ProducerVersion,
            Domain = source.Metadata.Domain,
            ModelVersion = source.Metadata.ModelVersion,
            DocString = source.Metadata.DocString,
        };
        foreach (var (k, v) in source.Metadata.Properties) meta.Properties[k] = v;
        var g = new Graph.Graph
        {
            Name = source.Name,
            Opsets = new Dictionary<string, long>(source.Opsets),
            Metadata = meta,
            DocString = source.DocString,
        };
        g.Inputs.AddRange(source.Inputs);
        g.Outputs.AddRange(source.Outputs);
        foreach (var (k, v) in source.Initializers) g.Initializers[k] = v;
        foreach (var (k, v) in source.ValueInfos) g.ValueInfos[k] = v;
        foreach (var n in source.Nodes)
        {
            var copy = new Graph.Node(n.OpType, n.Inputs, n.Outputs, n.Name, n.Domain) { DocString = n.DocString };
            foreach (var (k, a) in n.Attributes) copy.Attributes[k] = a;
            g.Nodes.Add(copy);
        }
        return g;
    }
}
