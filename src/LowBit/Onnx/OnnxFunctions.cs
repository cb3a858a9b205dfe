using Onnx;

namespace LowBit.Onnx;

/// <summary>
/// Inlines model-local functions (ModelProto.functions, e.g. from PyTorch's dynamo exporter) into the graph before import,
/// so the IR holds only operators: a call node is replaced by the function body, with formal inputs/outputs renamed to
/// the call's actual names, every other body value renamed to a fresh "&lt;call&gt;/&lt;name&gt;", and attribute references
/// (ref_attr_name) bound to the call's attributes or the function's defaults. Calls inside bodies and subgraphs are
/// inlined too; recursion is an error.
/// </summary>
internal static class OnnxFunctions
{
    public static void Inline(ModelProto model, string displayName)
    {
        if (model.Functions.Count == 0) return;
        var functions = new Dictionary<(string, string), FunctionProto>();
        foreach (var f in model.Functions) functions[(Domain(f.Domain), f.Name)] = f;
        foreach (var f in model.Functions)
            foreach (var o in f.OpsetImport)
                if (!model.OpsetImport.Any(m => Domain(m.Domain) == Domain(o.Domain)))
                    model.OpsetImport.Add(o.Clone());
        int counter = 0;
        InlineGraph(model.Graph, functions, new Stack<string>(), displayName, ref counter);
        model.Functions.Clear();
    }

    private static string Domain(string d) => d == "ai.onnx" ? "" : d;

    private static void InlineGraph(GraphProto g, Dictionary<(string, string), FunctionProto> functions, Stack<string> active, string file, ref int counter)
    {
        var nodes = g.Node.ToList();
        g.Node.Clear();
        g.Node.AddRange(Expand(nodes, functions, active, file, ref counter));
    }

    private static List<NodeProto> Expand(List<NodeProto> nodes, Dictionary<(string, string), FunctionProto> functions, Stack<string> active, string file, ref int counter)
    {
        var result = new List<NodeProto>();
        foreach (var n in nodes)
        {
            foreach (var a in n.Attribute)
            {
                if (a.G is not null) InlineGraph(a.G, functions, active, file, ref counter);
                foreach (var sub in a.Graphs) InlineGraph(sub, functions, active, file, ref counter);
            }
            if (!functions.TryGetValue((Domain(n.Domain), n.OpType), out var f))
            {
                result.Add(n);
                continue;
            }
            string key = $"{f.Domain}.{f.Name}";
            if (active.Contains(key))
                throw new LowBitException(ErrorKind.InvalidModel, $"{file}: function {key} calls itself (through {string.Join(" → ", active.Reverse())})");
            active.Push(key);
            string prefix = $"{(n.Name.Length > 0 ? n.Name : n.OpType)}/{counter++}/";
            var body = f.Node.Select(b => Bind(b, n, f, prefix)).ToList();
            result.AddRange(Expand(body, functions, active, file, ref counter));
            active.Pop();
        }
        return result;
    }

    /// <summary>A copy of body node <paramref name="b"/> for the call <paramref name="call"/>.</summary>
    private static NodeProto Bind(NodeProto b, NodeProto call, FunctionProto f, string prefix)
    {
        var rename = new Dictionary<string, string>();
        for (int i = 0; i < f.Input.Count; i++) rename[f.Input[i]] = i < call.Input.Count ? call.Input[i] : "";
        for (int i = 0; i < f.Output.Count; i++) rename[f.Output[i]] = i < call.Output.Count ? call.Output[i] : "";
        string Map(string name) => name.Length == 0 ? "" : rename.TryGetValue(name, out var r) ? r : prefix + name;

        var n = b.Clone();
        n.Name = prefix + b.Name;
        n.Input.Clear();
        n.Input.AddRange(b.Input.Select(Map));
        n.Output.Clear();
        n.Output.AddRange(b.Output.Select(Map));
        n.Attribute.Clear();
        foreach (var a in b.Attribute)
        {
            if (a.RefAttrName.Length == 0)
            {
                var copy = a.Clone();
                if (copy.G is not null) RenameOuter(copy.G, Map);
                foreach (var sub in copy.Graphs) RenameOuter(sub, Map);
                n.Attribute.Add(copy);
                continue;
            }
            var bound = call.Attribute.FirstOrDefault(c => c.Name == a.RefAttrName) ?? f.AttributeProto.FirstOrDefault(c => c.Name == a.RefAttrName);
            if (bound is null) continue; // an optional attribute the call leaves unset
            var value = bound.Clone();
            value.Name = a.Name;
            n.Attribute.Add(value);
        }
        return n;
    }

    /// <summary>Renames the values a subgraph reads from the enclosing function body (its own names stay).</summary>
    private static void RenameOuter(GraphProto g, Func<string, string> map)
    {
        var own = new HashSet<string>(g.Input.Select(i => i.Name).Concat(g.Initializer.Select(i => i.Name)).Concat(g.Node.SelectMany(x => x.Output)));
        foreach (var node in g.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i].Length > 0 && !own.Contains(node.Input[i])) node.Input[i] = map(node.Input[i]);
            foreach (var a in node.Attribute)
            {
                // Deeper subgraphs may also read this graph's own names, which keep their spelling.
                if (a.G is not null) RenameOuter(a.G, x => own.Contains(x) ? x : map(x));
                foreach (var sub in a.Graphs) RenameOuter(sub, x => own.Contains(x) ? x : map(x));
            }
        }
        foreach (var o in g.Output)
            if (!own.Contains(o.Name)) o.Name = map(o.Name);
    }
}
