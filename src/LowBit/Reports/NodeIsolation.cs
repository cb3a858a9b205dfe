using LowBit.Graph;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Reports;

/// <summary>One quantized node and the Q/DQ outputs it reads (its input activations, weight, bias): the tensors that
/// stay quantized when the node is examined alone.</summary>
internal sealed record IsolationUnit(Node Node, IReadOnlyList<string> Tensors)
{
    /// <summary>The node's key in recipes, manifests and <c>--exclude</c> (<see cref="Quantization.Qdq.Marker.Key"/>).</summary>
    public string Key => Node.DisplayName;
}

/// <summary>
/// Runs a quantized (QDQ) graph with only some of its Q/DQ outputs quantized, every other one bypassed through a value
/// hook (no graph surgery): an activation's DequantizeLinear output is replaced by a copy of the float value that entered
/// its QuantizeLinear in the same run, a weight's/bias's by the float initializer it was matched with
/// (<see cref="LayerMatching"/>). Keeping one <see cref="IsolationUnit"/>'s tensors gives the model with only that node
/// quantized; keeping none must reproduce the float model. A dequantized value that several nodes read stays quantized
/// for all of them while one of them is examined.
/// </summary>
internal sealed class NodeIsolation
{
    private readonly Session session;
    private readonly BypassHook hook;

    public IReadOnlyList<IsolationUnit> Units { get; }

    public NodeIsolation(Graph.Graph quantized, IEnumerable<MatchPoint> points, int threads, CancellationToken cancel)
    {
        // Bypassable Q/DQ outputs: post name → (pre name | float constant).
        var bypass = new Dictionary<string, (string? Pre, Tensor? Constant)>(StringComparer.Ordinal);
        foreach (var p in points)
        {
            if (p.Kind == PointKind.Activation && p.PreName is string x) bypass[p.PostName] = (x, null);
            else if (p.RefConstant is Tensor c) bypass[p.PostName] = (null, c);
        }
        var pres = bypass.Values.Where(v => v.Pre is not null).GroupBy(v => v.Pre!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Units = quantized.Nodes.Where(n => !LayerMatching.IsQ(n) && !LayerMatching.IsDQ(n))
            .Select(n => new IsolationUnit(n, n.Inputs.Where(bypass.ContainsKey).Distinct().ToList()))
            .Where(u => u.Tensors.Count > 0).ToList();
        hook = new BypassHook(bypass, pres);
        // No buffer reuse: a pooled DequantizeLinear output that the hook replaces is never handed back to the session's
        // pool, which would keep every replaced buffer alive for the session's lifetime.
        session = new Session(quantized, new SessionOptions { Threads = threads, Optimize = false, ReuseBuffers = false });
        session.AddHook(hook.On);
        if (cancel.CanBeCanceled)
            session.AddHook((_, _, _) =>
            {
                cancel.ThrowIfCancellationRequested();
                return null;
            });
    }

    /// <summary>Runs <paramref name="inputs"/> with only <paramref name="keep"/> quantized (null: all of them, empty:
    /// none) and returns <paramref name="outputs"/>.</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, IEnumerable<string> outputs, IReadOnlySet<string>? keep)
    {
        hook.Keep = keep;
        try
        {
            return session.Run(inputs, outputs);
        }
        finally
        {
            hook.Clear();
        }
    }

    /// <summary>The values named <paramref name="names"/> (any value of the graph) with everything quantized.</summary>
    public Dictionary<string, Tensor> Values(IReadOnlyDictionary<string, Tensor> inputs, IEnumerable<string> names) =>
        Run(inputs, names, null).ToDictionary(kv => kv.Key, kv => kv.Value.Clone(), StringComparer.Ordinal);

    /// <summary>The tensors of <paramref name="units"/> as one keep-set.</summary>
    public static HashSet<string> KeepSet(IEnumerable<IsolationUnit> units) => new(units.SelectMany(u => u.Tensors), StringComparer.Ordinal);

    /// <summary>Replaces every bypassable Q/DQ output not in <see cref="Keep"/> (null: keep all) by its float value.
    /// Replacements are fresh copies: the session recycles a node output's buffer once its readers ran.</summary>
    private sealed class BypassHook(Dictionary<string, (string? Pre, Tensor? Constant)> bypass, Dictionary<string, int> pres)
    {
        private readonly Dictionary<string, Tensor> stash = new(StringComparer.Ordinal);
        public IReadOnlySet<string>? Keep { get; set; }

        public Tensor? On(string name, Node? producer, Tensor value)
        {
            if (Keep is null) return null;
            if (pres.ContainsKey(name)) stash[name] = value.Clone();
            if (!bypass.TryGetValue(name, out var how) || Keep.Contains(name)) return null;
            // A float value read by several QuantizeLinear nodes is handed out as copies; otherwise the stash itself.
            Tensor? replacement = how.Pre is string pre
                ? (pres[pre] > 1 ? stash.GetValueOrDefault(pre)?.Clone() : stash.Remove(pre, out var s) ? s : null)
                : how.Constant?.Clone();
            return replacement is not null && replacement.DType == value.DType && replacement.Shape.SequenceEqual(value.Shape) ? replacement : null;
        }

        public void Clear() => stash.Clear();
    }
}
