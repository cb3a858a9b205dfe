using LowBit.Graph;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Runtime;

/// <summary>
/// A graph compiled for execution: values become slots in an array, nodes become steps bound to their op
/// implementations, and each step lists the slots whose last reader it is (so their buffers can be reused).
/// </summary>
internal sealed class ExecutionPlan
{
    internal sealed record Step(BoundOp Op, int[] Inputs, int[] Outputs, int[] ReleaseAfter);

    public Graph.Graph Graph { get; }
    public Dictionary<string, int> SlotOf { get; } = new();
    public List<string> SlotNames { get; } = new();
    public Step[] Steps { get; }
    /// <summary>Slots filled before the first step: initializers (constant) and outer-scope names (looked up per run).</summary>
    public (int Slot, Tensor Value)[] Constants { get; }
    public (int Slot, string Name)[] OuterRefs { get; }
    public int[] OutputSlots { get; }

    public ExecutionPlan(Graph.Graph graph, IReadOnlySet<string>? outerScope = null)
    {
        Graph = graph;
        TopologicalSort.Apply(graph, outerScope);
        foreach (var v in graph.Inputs) Slot(v.Name);
        Constants = graph.Initializers.Select(kv => (Slot(kv.Key), kv.Value)).ToArray();

        var defined = new HashSet<string>(SlotNames);
        foreach (var n in graph.Nodes) foreach (var o in n.Outputs) if (o.Length > 0) defined.Add(o);
        var outer = new List<(int, string)>();
        foreach (var name in graph.OuterScopeReferences())
            if (!defined.Contains(name)) outer.Add((Slot(name), name));
        OuterRefs = outer.ToArray();

        var steps = new List<Step>();
        foreach (var n in graph.Nodes)
        {
            var op = OpTable.Bind(n, graph.OpsetOf(n.Domain));
            var ins = n.Inputs.Select(i => i.Length == 0 ? -1 : Slot(i)).ToArray();
            var outs = n.Outputs.Select(o => o.Length == 0 ? -1 : Slot(o)).ToArray();
            steps.Add(new Step(op, ins, outs, Array.Empty<int>()));
        }
        OutputSlots = graph.Outputs.Select(o => Slot(o.Name)).ToArray();

        // Last reader of each slot (subgraph outer references count as reads by the node holding the subgraph).
        var last = new int[SlotNames.Count];
        Array.Fill(last, -1);
        for (int s = 0; s < steps.Count; s++)
            foreach (var name in graph.Nodes[s].AllInputNames())
                last[SlotOf[name]] = s;
        // A value nobody reads is released right after the step that made it.
        for (int s = 0; s < steps.Count; s++)
            foreach (int o in steps[s].Outputs) if (o >= 0 && last[o] < s) last[o] = s;
        var keep = new HashSet<int>(OutputSlots);
        foreach (var (slot, _) in Constants) keep.Add(slot);
        foreach (var v in graph.Inputs) keep.Add(SlotOf[v.Name]);
        foreach (var (slot, _) in OuterRefs) keep.Add(slot);
        var releases = Enumerable.Range(0, steps.Count).Select(_ => new List<int>()).ToArray();
        for (int slot = 0; slot < last.Length; slot++)
            if (last[slot] >= 0 && !keep.Contains(slot)) releases[last[slot]].Add(slot);
        Steps = steps.Select((st, i) => st with { ReleaseAfter = releases[i].ToArray() }).ToArray();
    }

    private int Slot(string name)
    {
        if (!SlotOf.TryGetValue(name, out int s))
        {
            s = SlotNames.Count;
            SlotOf[name] = s;
            SlotNames.Add(name);
        }
        return s;
    }
}
