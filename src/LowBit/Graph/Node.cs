namespace LowBit.Graph;

/// <summary>One operator application. Inputs and outputs are value names; an empty name marks an omitted optional input/output.</summary>
public sealed class Node
{
    public string OpType { get; set; }
    /// <summary>Operator set domain; "" is the default ONNX domain (also written "ai.onnx").</summary>
    public string Domain { get; set; }
    public string Name { get; set; }
    public List<string> Inputs { get; }
    public List<string> Outputs { get; }
    /// <summary>Attributes in file order.</summary>
    public Dictionary<string, Attr> Attributes { get; } = new();
    public string DocString { get; set; } = "";

    public Node(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string name = "", string domain = "")
    {
        OpType = opType;
        Inputs = inputs.ToList();
        Outputs = outputs.ToList();
        Name = name;
        Domain = domain == "ai.onnx" ? "" : domain;
    }

    /// <summary>Name for messages: the node name if it has one, else "OpType→firstOutput".</summary>
    public string DisplayName => Name.Length > 0 ? Name : $"{OpType}→{(Outputs.Count > 0 ? Outputs[0] : "?")}";

    public Node With(string name, object value)
    {
        Attributes[name] = Attr.From(name, value);
        return this;
    }

    public T? Get<T>(string name) => Attributes.TryGetValue(name, out var a) ? (T)a.Value : default;

    /// <summary>Every subgraph held in attributes (If branches, Loop body).</summary>
    public IEnumerable<Graph> Subgraphs()
    {
        foreach (var a in Attributes.Values)
        {
            if (a.Value is Graph g) yield return g;
            else if (a.Value is Graph[] gs) foreach (var s in gs) yield return s;
        }
    }

    public override string ToString() => $"{OpType}({string.Join(", ", Inputs)}) -> {string.Join(", ", Outputs)}";
}
