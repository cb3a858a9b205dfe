namespace LowBit.Graph;

/// <summary>Orders nodes so every value is produced before it is read (Kahn's algorithm, stable: ties keep file order).</summary>
public static class TopologicalSort
{
    /// <summary>Sorts <paramref name="g"/>.Nodes in place (and subgraphs). Throws naming the nodes of a cycle,
    /// or the first value that no node, input or initializer defines.</summary>
    public static void Apply(Graph g, IReadOnlySet<string>? outerScope = null)
    {
        var available = new HashSet<string>(g.Initializers.Keys);
        foreach (var v in g.Inputs) available.Add(v.Name);
        var own = new HashSet<string>(available);
        if (outerScope is not null) available.UnionWith(outerScope);

        var producers = new Dictionary<string, int>();
        for (int i = 0; i < g.Nodes.Count; i++)
            foreach (var o in g.Nodes[i].Outputs)
                if (o.Length > 0)
                {
                    if (producers.ContainsKey(o) || own.Contains(o))
                        throw new LowBitException(ErrorKind.InvalidModel, $"value '{o}' is defined more than once (node {g.Nodes[i].DisplayName})");
                    producers[o] = i;
                }

        int n = g.Nodes.Count;
        var pending = new int[n];
        var dependents = new List<int>[n];
        for (int i = 0; i < n; i++) dependents[i] = new List<int>();
        for (int i = 0; i < n; i++)
        {
            foreach (var input in g.Nodes[i].AllInputNames().Distinct())
            {
                if (producers.TryGetValue(input, out int p))
                {
                    if (p == i) throw new LowBitException(ErrorKind.InvalidModel, $"node {g.Nodes[i].DisplayName} reads its own output '{input}'");
                    pending[i]++;
                    dependents[p].Add(i);
                }
                else if (!available.Contains(input))
                    throw new LowBitException(ErrorKind.InvalidModel, $"node {g.Nodes[i].DisplayName} reads '{input}', which no node, input or initializer defines");
            }
        }

        // Min-heap on original index keeps the file order wherever it is already valid.
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < n; i++) if (pending[i] == 0) ready.Enqueue(i, i);
        var order = new List<Node>(n);
        while (ready.TryDequeue(out int i, out _))
        {
            order.Add(g.Nodes[i]);
            foreach (int d in dependents[i]) if (--pending[d] == 0) ready.Enqueue(d, d);
        }
        if (order.Count != n)
        {
            var stuck = Enumerable.Range(0, n).Where(i => pending[i] > 0).Select(i => g.Nodes[i].DisplayName).Take(8);
            throw new LowBitException(ErrorKind.InvalidModel, $"graph '{g.Name}' has a cycle through nodes: {string.Join(", ", stuck)}");
        }
        g.Nodes.Clear();
        g.Nodes.AddRange(order);

        var scope = new HashSet<string>(available);
        scope.UnionWith(producers.Keys);
        foreach (var node in g.Nodes)
            foreach (var sub in node.Subgraphs())
                Apply(sub, scope);
    }
}
