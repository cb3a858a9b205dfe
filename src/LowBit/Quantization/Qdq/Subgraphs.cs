using LowBit.Graph;
using LowBit.Quantization.Calibration;
using LowBit.Quantization.Dynamic;
using LowBit.Quantization.Prepare;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Quantizes what runs inside control flow (If branches, Loop and Scan bodies, nested to any depth) in the mode of the
/// whole model, with the same op quantizers as the main graph:
/// <list type="number">
/// <item><see cref="Mark"/>: every body is replaced by a prepared copy (the caller's graph is never touched): identities
/// removed, Constant nodes folded into initializers, and a float initializer of the enclosing graph that only this body
/// reads moved into it (exporters often leave a branch's weights outside the If), so it counts as the body's weight.
/// Types of outer-scope values come from the enclosing graph. Each body gets its own <see cref="QdqPlan"/>.</item>
/// <item><see cref="WithBodies"/>: static calibration observes body activations through the same session hooks (the
/// session runs bodies with hooks on; value names are unique model-wide, so a body value is observed by its name on
/// every iteration or taken branch). A branch never taken while calibrating keeps its activations float, with a warning.</item>
/// <item><see cref="Rewrite"/>: the mode's rewriter runs on each body; names the rewriters create are then made unique
/// across all scopes (ONNX requires one definition per name in a model, outer scopes included).</item>
/// </list>
/// </summary>
internal sealed class Subgraphs
{
    private sealed record Body(Graph.Graph Graph, QdqPlan Plan, HashSet<string> Original);

    private readonly Graph.Graph root;
    private readonly List<Body> bodies = new();

    private Subgraphs(Graph.Graph root) => this.root = root;

    public int Count => bodies.Count;

    /// <summary>The prepared bodies and their plans, outer bodies before the bodies nested in them.</summary>
    public IEnumerable<(Graph.Graph Graph, QdqPlan Plan)> Bodies => bodies.Select(b => (b.Graph, b.Plan));

    public static Subgraphs Mark(Graph.Graph g, QuantizerConfig config, bool reduceRange, Dictionary<string, DType> types)
    {
        var s = new Subgraphs(g);
        s.Visit(g, config, reduceRange, types);
        return s;
    }

    private void Visit(Graph.Graph outer, QuantizerConfig config, bool reduceRange, Dictionary<string, DType> outerTypes)
    {
        var readers = outer.Consumers();
        foreach (var node in outer.Nodes)
        {
            var owned = OwnedInitializers(outer, node, readers);
            foreach (var (key, attr) in node.Attributes.ToList())
            {
                if (attr.Value is Graph.Graph body)
                    node.Attributes[key] = attr with { Value = Prepare(outer, body, owned, config, reduceRange, outerTypes) };
                else if (attr.Value is Graph.Graph[] many)
                    node.Attributes[key] = attr with { Value = many.Select(b => Prepare(outer, b, owned, config, reduceRange, outerTypes)).ToArray() };
            }
        }
    }

    /// <summary>Float initializers of <paramref name="outer"/> read by exactly one subgraph of <paramref name="node"/> and
    /// by nothing else (not an overridable graph input): initializer → the body reading it.</summary>
    private static Dictionary<string, Graph.Graph> OwnedInitializers(Graph.Graph outer, Node node, Dictionary<string, List<Node>> readers)
    {
        var owned = new Dictionary<string, Graph.Graph>(StringComparer.Ordinal);
        var subs = node.Subgraphs().ToList();
        if (subs.Count == 0) return owned;
        var inputs = new HashSet<string>(outer.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        var refs = subs.Select(s => s.OuterScopeReferences()).ToList();
        for (int i = 0; i < subs.Count; i++)
            foreach (var r in refs[i])
                if (outer.Initializers.TryGetValue(r, out var t) && t.DType == DType.Float32 && !inputs.Contains(r) && !node.Inputs.Contains(r)
                    && readers.TryGetValue(r, out var rs) && rs.Count == 1 && refs.Count(x => x.Contains(r)) == 1)
                    owned[r] = subs[i];
        return owned;
    }

    private Graph.Graph Prepare(Graph.Graph outer, Graph.Graph source, Dictionary<string, Graph.Graph> owned, QuantizerConfig config,
        bool reduceRange, Dictionary<string, DType> outerTypes)
    {
        var g = GraphCopy.Of(source);
        g.Opsets = root.Opsets;
        foreach (var (name, body) in owned)
            if (ReferenceEquals(body, source) && outer.Initializers.Remove(name, out var t)) g.Initializers[name] = t;
        IdentityRemoval.Apply(g);
        ConstantFolding.Apply(g);
        var types = Types(g, outerTypes);
        var plan = Marker.Run(g, config, reduceRange, types);
        var names = new HashSet<string>(Defined(g), StringComparer.Ordinal);
        bodies.Add(new Body(g, plan, names));
        Visit(g, config, reduceRange, types);
        return g;
    }

    /// <summary>Element types inside <paramref name="g"/>: its own inference, with outer-scope values typed by the
    /// enclosing graph (declared for the inference only, then removed so the file is unchanged).</summary>
    private static Dictionary<string, DType> Types(Graph.Graph g, Dictionary<string, DType> outerTypes)
    {
        var added = new List<string>();
        foreach (var r in g.OuterScopeReferences())
            if (outerTypes.TryGetValue(r, out var d) && !g.ValueInfos.ContainsKey(r))
            {
                g.ValueInfos[r] = new ValueInfo(r, d, null);
                added.Add(r);
            }
        var own = TypeInference.Infer(g);
        foreach (var r in added) g.ValueInfos.Remove(r);
        var all = new Dictionary<string, DType>(outerTypes);
        foreach (var (k, v) in own) all[k] = v;
        return all;
    }

    /// <summary>One plan holding the activation marks of <paramref name="top"/> and of every body (for calibration).</summary>
    public QdqPlan WithBodies(QdqPlan top)
    {
        if (bodies.Count == 0) return top;
        var all = new QdqPlan();
        foreach (var plan in bodies.Select(b => b.Plan).Prepend(top))
            foreach (var (groupRoot, members) in plan.Groups())
                foreach (var m in members)
                {
                    all.AddActivation(plan.Activations[m]);
                    all.Union(groupRoot, m);
                }
        return all;
    }

    /// <summary>Rewrites every body in <paramref name="config"/>'s mode; returns the manifest entries of their tensors.</summary>
    public List<TensorEntry> Rewrite(QuantizerConfig config, CalibrationResult? calibration, QdqParams.Stored? stored, List<string> warnings)
    {
        var entries = new List<TensorEntry>();
        foreach (var b in bodies)
        {
            var g = b.Graph;
            var p = QdqParams.Resolve(g, b.Plan, calibration, stored);
            var keys = g.Nodes.ToDictionary<Node, Node, string>(n => n, Marker.Key, ReferenceEqualityComparer.Instance);
            var shapes = g.Initializers.ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
            var readers = g.Nodes.SelectMany(n => n.Inputs.Where(i => i.Length > 0).Distinct().Select(i => (i, Marker.Key(n))))
                .GroupBy(x => x.i).ToDictionary(x => x.Key, x => x.Select(y => y.Item2).ToList());
            var nbits = new List<string>();
            string export = "DequantizeLinear";
            switch (config.Mode)
            {
                case QuantMode.Static:
                    QdqRewriter.Apply(g, b.Plan, p, quantizeOutputs: false);
                    break;
                case QuantMode.WeightOnly:
                    nbits = WeightOnlyRewriter.Apply(g, b.Plan, p, config);
                    break;
                case QuantMode.Dynamic:
                    foreach (var n in DynamicRewriter.Apply(g, b.Plan, p))
                        foreach (var w in b.Plan.Weights.Where(kv => kv.Value.Node == n).Select(kv => kv.Key).ToList()) b.Plan.Weights.Remove(w);
                    export = "MatMulInteger/ConvInteger";
                    break;
            }
            entries.AddRange(ManifestBuilder.Tensors(b.Plan, p, shapes, keys, readers, export, nbits));
            warnings.AddRange(b.Plan.Warnings.Select(w => $"subgraph '{g.Name}': {w}"));
        }
        MakeNamesUnique();
        return entries;
    }

    /// <summary>Renames values a rewriter created in a body when the same name is defined elsewhere in the model (the
    /// main graph's rewriter names its Q/DQ of x "x_quantized" too). Node names need not be unique and are kept.</summary>
    private void MakeNamesUnique()
    {
        var taken = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in bodies.Select(b => b.Graph).Prepend(root))
            foreach (var n in Defined(g)) taken[n] = taken.GetValueOrDefault(n) + 1;
        int k = 0;
        foreach (var b in bodies)
        {
            var rename = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in Defined(b.Graph))
                if (!b.Original.Contains(name) && taken[name] > 1)
                {
                    taken[name]--;
                    string fresh;
                    do fresh = $"{name}_sub{++k}"; while (taken.ContainsKey(fresh));
                    taken[fresh] = 1;
                    rename[name] = fresh;
                }
            if (rename.Count == 0) continue;
            foreach (var (from, to) in rename)
                if (b.Graph.Initializers.Remove(from, out var t)) b.Graph.Initializers[to] = t;
            foreach (var n in b.Graph.Nodes)
            {
                for (int i = 0; i < n.Inputs.Count; i++) if (rename.TryGetValue(n.Inputs[i], out var to)) n.Inputs[i] = to;
                for (int i = 0; i < n.Outputs.Count; i++) if (rename.TryGetValue(n.Outputs[i], out var to)) n.Outputs[i] = to;
            }
        }
    }

    private static IEnumerable<string> Defined(Graph.Graph g) =>
        g.Initializers.Keys.Concat(g.Inputs.Select(i => i.Name)).Concat(g.Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0)).Distinct();
}
