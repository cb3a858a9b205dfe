using LowBit.Tensors;

namespace LowBit.Graph;

/// <summary>Model-level facts kept so that export writes back what import read.</summary>
public sealed class ModelMetadata
{
    public long IrVersion { get; set; } = 8;
    public string ProducerName { get; set; } = "LowBit";
    public string ProducerVersion { get; set; } = "";
    public string Domain { get; set; } = "";
    public long ModelVersion { get; set; }
    public string DocString { get; set; } = "";
    public Dictionary<string, string> Properties { get; } = new();
}

/// <summary>
/// The one IR of LowBit (DESIGN.md §1): an imported model, a zoo model, a training graph and a quantized graph are all a
/// Graph. Values are named; <see cref="Initializers"/> hold constants (weights); nodes refer to values by name.
/// Subgraphs (If/Loop bodies) are Graphs held in node attributes and may read values of enclosing graphs by name.
/// </summary>
public sealed class Graph
{
    public string Name { get; set; } = "graph";
    public List<Node> Nodes { get; } = new();
    /// <summary>Declared inputs. IR ≥ 4 files may list an initializer here too (an overridable default):
    /// use <see cref="RealInputs"/> for the values a caller must feed.</summary>
    public List<ValueInfo> Inputs { get; } = new();

    /// <summary>Inputs without a default initializer: what a caller must provide.</summary>
    public IEnumerable<ValueInfo> RealInputs => Inputs.Where(v => !Initializers.ContainsKey(v.Name));
    public List<ValueInfo> Outputs { get; } = new();
    public Dictionary<string, Tensor> Initializers { get; } = new();
    /// <summary>Declared types of intermediate values (from the file's value_info or shape inference).</summary>
    public Dictionary<string, ValueInfo> ValueInfos { get; } = new();
    /// <summary>Operator set per domain ("" = default ONNX domain). Subgraphs share their model's dictionary.</summary>
    public Dictionary<string, long> Opsets { get; set; } = new() { [""] = 17 };
    public ModelMetadata Metadata { get; set; } = new();
    public string DocString { get; set; } = "";

    public long DefaultOpset => Opsets.TryGetValue("", out var v) ? v : 1;

    public long OpsetOf(string domain) =>
        Opsets.TryGetValue(domain == "ai.onnx" ? "" : domain, out var v) ? v : (domain.Length == 0 ? DefaultOpset : 1);

    /// <summary>Adds a node and returns it (for fluent graph building).</summary>
    public Node Add(string opType, string[] inputs, string[] outputs, string name = "", string domain = "")
    {
        var n = new Node(opType, inputs, outputs, name, domain);
        Nodes.Add(n);
        return n;
    }

    /// <summary>Map from value name to the node producing it.</summary>
    public Dictionary<string, Node> Producers()
    {
        var d = new Dictionary<string, Node>();
        foreach (var n in Nodes)
            foreach (var o in n.Outputs)
                if (o.Length > 0) d[o] = n;
        return d;
    }

    /// <summary>Map from value name to the nodes consuming it (including uses inside subgraphs of a node).</summary>
    public Dictionary<string, List<Node>> Consumers()
    {
        var d = new Dictionary<string, List<Node>>();
        foreach (var n in Nodes)
            foreach (var i in n.AllInputNames())
            {
                if (!d.TryGetValue(i, out var list)) d[i] = list = new List<Node>();
                if (!list.Contains(n)) list.Add(n);
            }
        return d;
    }

    /// <summary>Number of parameters (elements of float initializers) and bytes of initializers by element type.</summary>
    public (long Parameters, Dictionary<DType, long> BytesByType) ParameterStats()
    {
        long p = 0;
        var bytes = new Dictionary<DType, long>();
        foreach (var t in Initializers.Values)
        {
            p += t.Length;
            long b = t.DType == DType.String ? 0 : t.DType.StorageLength(t.Length) * t.DType.StorageElementSize();
            bytes[t.DType] = bytes.GetValueOrDefault(t.DType) + b;
        }
        return (p, bytes);
    }

    /// <summary>A name not yet used by any value in this graph, built from <paramref name="stem"/>.</summary>
    public string UniqueName(string stem)
    {
        var used = new HashSet<string>(Initializers.Keys);
        foreach (var v in Inputs) used.Add(v.Name);
        foreach (var n in Nodes) { used.UnionWith(n.Outputs); used.Add(n.Name); }
        if (!used.Contains(stem)) return stem;
        for (int k = 1; ; k++) if (!used.Contains($"{stem}_{k}")) return $"{stem}_{k}";
    }
}

internal static class NodeExtensions
{
    /// <summary>Direct inputs plus outer-scope names referenced by subgraphs (implicit inputs).</summary>
    public static IEnumerable<string> AllInputNames(this Node n)
    {
        foreach (var i in n.Inputs) if (i.Length > 0) yield return i;
        foreach (var g in n.Subgraphs())
            foreach (var name in g.OuterScopeReferences()) yield return name;
    }

    /// <summary>Names a graph reads that none of its own inputs, initializers or nodes define.</summary>
    public static HashSet<string> OuterScopeReferences(this Graph g)
    {
        var defined = new HashSet<string>(g.Initializers.Keys);
        foreach (var v in g.Inputs) defined.Add(v.Name);
        foreach (var n in g.Nodes) foreach (var o in n.Outputs) defined.Add(o);
        var refs = new HashSet<string>();
        foreach (var n in g.Nodes)
            foreach (var i in n.AllInputNames())
                if (!defined.Contains(i)) refs.Add(i);
        foreach (var o in g.Outputs) if (!defined.Contains(o.Name)) refs.Add(o.Name);
        return refs;
    }
}
