using LowBit.Formats;
using LowBit.Graph;
using LowBit.Quantization;
using LowBit.Quantization.Qdq;
using LowBit.Tensors;

namespace LowBit.Nn.Qat;

/// <summary>Where one quantized tensor's parameters live in the training graph.</summary>
/// <summary>Where one quantized tensor's parameters live in the training graph. <see cref="ScaleFrom"/>: absmean or
/// absmedian when the scale is recomputed from the tensor on every step (BitNet), else empty.</summary>
internal sealed record FakeQuantSite(string Scale, string ZeroPoint, QuantParams Initial, string ScaleFrom = "");

/// <summary>
/// The training graph of quantization-aware training (DESIGN.md §1: the same graph with fake-quant nodes inserted): a copy
/// of the prepared float graph (BatchNormalization already folded into the weights, the whitepaper's folding with frozen
/// statistics, Nagel et al. 2021 §4.2) where every marked weight w is read through <c>FakeQuantize(w, s_w, z_w)</c> and every
/// marked activation t through <c>FakeQuantize(t, s_t, z_t)</c>, placed where the QDQ rewriter places Q/DQ: after t's
/// producer, read by every reader except a Conv/Gemm/MatMul the user keeps float; members of a scale group share one
/// scale initializer. A bias the exporter stores as int32 at s_x·s_w is read through <c>FakeQuantizeBias(b, s_x, s_w)</c>.
/// </summary>
internal sealed class QatGraph
{
    private const long MinOpset = 13;

    public required Graph.Graph Graph { get; init; }
    /// <summary>Weight name → its fake-quant parameters.</summary>
    public required IReadOnlyDictionary<string, FakeQuantSite> Weights { get; init; }
    /// <summary>Add/Mul constant name → its fake-quant parameters (the activation format's).</summary>
    public required IReadOnlyDictionary<string, FakeQuantSite> Constants { get; init; }
    /// <summary>Activation group root → its fake-quant parameters.</summary>
    public required IReadOnlyDictionary<string, FakeQuantSite> Activations { get; init; }

    /// <summary>The scales that are parameters (not recomputed from their tensor every step).</summary>
    public IEnumerable<string> ScaleNames => Weights.Values.Concat(Constants.Values).Concat(Activations.Values).Where(s => s.ScaleFrom.Length == 0).Select(s => s.Scale);

    public static QatGraph Build(Graph.Graph prepared, QdqPlan plan, QdqParams p, QatMethod method, bool quantizeOutputs)
    {
        // BitNet: every weight's scale follows its config's abs range (mean, or the Reloaded median) step by step.
        string WeightScaleFrom(WeightMark w) => method != QatMethod.BitNet ? ""
            : w.Config.Range == WeightRange.AbsMedian ? "absmedian" : "absmean";
        var g = Quantization.Prepare.GraphCopy.Of(prepared);
        var copyOf = new Dictionary<Node, Node>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < prepared.Nodes.Count; i++) copyOf[prepared.Nodes[i]] = g.Nodes[i];
        var keptFloat = new HashSet<Node>(prepared.Nodes.Where(n => QdqRewriter.KeptFloatCompute(plan, n)).Select(n => copyOf[n]),
            ReferenceEqualityComparer.Instance);
        foreach (var (name, t) in prepared.Initializers) g.Initializers[name] = t.Clone();
        g.Opsets[FakeQuantizeOp.Domain] = 1;
        string methodName = method.ToString().ToLowerInvariant();

        var weights = new Dictionary<string, FakeQuantSite>(StringComparer.Ordinal);
        var scaleUsed = new Dictionary<string, string>(StringComparer.Ordinal);
        var head = new List<Node>();
        // Every reader of initializer `name` reads its fake-quantized value instead.
        var constants = new Dictionary<string, FakeQuantSite>(StringComparer.Ordinal);
        Node ReadThrough(Dictionary<string, FakeQuantSite> sites, string name, FakeQuantSite site)
        {
            sites[name] = site;
            string fq = g.UniqueName(name + ".qat");
            foreach (var n in g.Nodes)
                for (int i = 0; i < n.Inputs.Count; i++)
                    if (n.Inputs[i] == name) n.Inputs[i] = fq;
            return Node(g, name, fq, site, methodName, batchAxis: -1);
        }
        foreach (var (name, mark) in plan.Weights)
        {
            var qp = p.Weights[name];
            CheckTrainable(name, qp, method);
            var site = Site(g, name, qp) with { ScaleFrom = WeightScaleFrom(mark) };
            var node = ReadThrough(weights, name, site);
            // The scales in use: a bias fake quantizer multiplies them (they differ from the initializer when recomputed).
            if (site.ScaleFrom.Length > 0) node.Outputs.Add(g.UniqueName(name + ".qat_scale_used"));
            head.Add(node);
            scaleUsed[name] = node.Outputs.Count > 1 ? node.Outputs[1] : site.Scale;
        }

        // Add/Mul constants (a MatMul's bias added after it, the attention scale) are stored with the activation format;
        // they train like weights, their scales fixed or learned as the method says.
        foreach (var (name, _) in plan.Constants)
        {
            var qp = p.Constants[name];
            CheckTrainable(name, qp, method);
            head.Add(ReadThrough(constants, name, Site(g, name, qp)));
        }

        var activations = new Dictionary<string, FakeQuantSite>(StringComparer.Ordinal);
        var after = new Dictionary<Node, List<Node>>(ReferenceEqualityComparer.Instance);
        var producers = g.Producers();
        var consumers = g.Consumers();
        var outputs = new HashSet<string>(g.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var (root, members) in plan.Groups())
            foreach (var t in members)
            {
                if (!p.Activations.TryGetValue(t, out var qp)) continue;
                CheckTrainable(t, qp, method);
                if (!activations.TryGetValue(root, out var site)) activations[root] = site = Site(g, root, qp);
                bool asOutput = quantizeOutputs && outputs.Contains(t) && producers.ContainsKey(t);
                string source = t, result = g.UniqueName(t + ".qat");
                if (asOutput)
                {
                    source = g.UniqueName(t + ".qat_float");
                    var prod = producers[t];
                    prod.Outputs[prod.Outputs.IndexOf(t)] = source;
                    result = t;
                }
                else if (consumers.TryGetValue(t, out var readers))
                    foreach (var r in readers.Where(r => !keptFloat.Contains(r)))
                        for (int i = 0; i < r.Inputs.Count; i++)
                            if (r.Inputs[i] == t) r.Inputs[i] = result;
                var node = Node(g, source, result, site, methodName, batchAxis: 0);
                if (producers.TryGetValue(t, out var producer))
                {
                    if (!after.TryGetValue(producer, out var list)) after[producer] = list = new();
                    list.Add(node);
                }
                else head.Add(node);
            }

        foreach (var b in plan.Biases)
        {
            if (!weights.ContainsKey(b.Weight) || !p.Activations.ContainsKey(b.Input) || !activations.TryGetValue(plan.Root(b.Input), out var xs)) continue;
            var reader = copyOf[b.Node];
            string fq = g.UniqueName(b.Bias + ".qat");
            reader.Inputs[b.InputIndex] = fq;
            head.Add(new Node(FakeQuantizeOp.BiasOpType, [b.Bias, xs.Scale, scaleUsed[b.Weight]], [fq], g.UniqueName(fq + "_FakeQuantizeBias"), FakeQuantizeOp.Domain));
        }

        var ordered = new List<Node>(head);
        foreach (var n in g.Nodes)
        {
            ordered.Add(n);
            if (after.TryGetValue(n, out var a)) ordered.AddRange(a);
        }
        g.Nodes.Clear();
        g.Nodes.AddRange(ordered);
        // Clip with min/max inputs and other forms with gradients need opset ≥ 13 (old models: upgraded, as BlockGraph does).
        Quantization.Prepare.OpsetUpgrade.Apply(g, MinOpset);
        TopologicalSort.Apply(g);
        return new QatGraph { Graph = g, Weights = weights, Constants = constants, Activations = activations };
    }

    /// <summary>The parameters a trained scale set describes (zero points, format and layout as at the start).</summary>
    public static QuantParams Trained(FakeQuantSite site, Graph.Graph g)
    {
        var s = g.Initializers[site.Scale].ToFloatArray();
        var q = site.Initial;
        return new QuantParams(q.Format, q.Granularity, s, (int[])q.ZeroPoints.Clone(), q.ScaleShape);
    }

    private static FakeQuantSite Site(Graph.Graph g, string stem, QuantParams qp)
    {
        string scale = g.UniqueName(stem + ".qat_scale"), zero = g.UniqueName(stem + ".qat_zero_point");
        g.Initializers[scale] = qp.ScaleTensor();
        g.Initializers[zero] = Tensor.FromArray(qp.ZeroPoints.Select(z => (long)z).ToArray(), qp.ScaleShape);
        return new FakeQuantSite(scale, zero, qp);
    }

    private static Node Node(Graph.Graph g, string input, string output, FakeQuantSite site, string method, long batchAxis)
    {
        var n = new Node(FakeQuantizeOp.OpType, [input, site.Scale, site.ZeroPoint], [output], g.UniqueName(output + "_FakeQuantize"), FakeQuantizeOp.Domain);
        n.With("format", site.Initial.Format.Name).With("method", method).With("batch_axis", batchAxis);
        if (site.ScaleFrom.Length > 0) n.With("scale_from", site.ScaleFrom);
        if (site.Initial.Axis is int axis) n.With("axis", (long)axis);
        if (site.Initial.BlockSize is int b) n.With("block_size", (long)b);
        return n;
    }

    /// <summary>Formats QAT can train: a fixed grid by registered name (a fitted codebook has per-layer levels), and
    /// float32 scales when the scales are learned (a constrained scale format would be left by the first step).</summary>
    private static void CheckTrainable(string tensor, QuantParams qp, QatMethod method)
    {
        if (qp.Format is CodebookFormat)
            throw new LowBitException(ErrorKind.Usage,
                $"'{tensor}': {qp.Format.Name} fits its levels per layer; quantization-aware training needs a fixed grid (an integer, float or power-of-two format, nf4, ternary)");
        if (!FormatTable.TryGet(qp.Format.Name, out var f) || !ReferenceEquals(f.GetType(), qp.Format.GetType()))
            throw new LowBitException(ErrorKind.Usage, $"'{tensor}': format {qp.Format.Name} is not a registered fixed grid; quantization-aware training cannot train it");
    }
}
