using LowBit.Graph;
using LowBit.Quantization.Calibration;
using LowBit.Quantization.Prepare;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>
/// The float model and the quantized model as the algorithms see them, run over the kept calibration samples. The
/// quantized model is a copy of the prepared graph whose marked weights hold grid values (round to nearest until an
/// algorithm replaces them) and whose marked activations are fake-quantized as they are produced (a Session value hook:
/// exactly QuantizeLinear→DequantizeLinear of the exported model, bias rounding aside). Runs stop at the values asked for
/// (the graph is cut to the nodes they need), so capturing layer l costs the model's prefix up to l.
/// </summary>
internal sealed partial class QuantSimulation
{
    private readonly IReadOnlyDictionary<string, QuantParams> activations;
    private readonly IReadOnlyList<IReadOnlyDictionary<string, Tensor>> samples;
    private readonly IReadOnlyList<StreamBinding> streams;
    private readonly int threads;

    public Graph.Graph Float { get; }
    public Graph.Graph Quantized { get; }
    public int SampleCount => samples.Count;

    public QuantSimulation(Graph.Graph prepared, IEnumerable<LinearLayer> layers,
        IReadOnlyDictionary<string, QuantParams> activations, IReadOnlyList<IReadOnlyDictionary<string, Tensor>> samples,
        IReadOnlyList<StreamBinding> streams, int threads)
    {
        Float = GraphCopy.Of(prepared);
        Quantized = GraphCopy.Of(prepared);
        foreach (var l in layers) l.WriteMatrix(Quantized, l.Grid().NearestAll(l.ReadMatrix(Float)));
        this.activations = activations;
        this.samples = samples;
        this.streams = streams;
        this.threads = threads;
    }

    /// <summary>Runs both models over every kept sample and calls <paramref name="visit"/> with the values of
    /// <paramref name="names"/> in the float run and in the quantized run (the latter null when
    /// <paramref name="quantized"/> is false). Values are valid only during the call.</summary>
    public void Run(IReadOnlyList<string> names, bool quantized, Action<int, IReadOnlyDictionary<string, Tensor>, IReadOnlyDictionary<string, Tensor>?> visit,
        CancellationToken ct)
    {
        // A streamed model runs whole: each call's state outputs feed the next call.
        var wanted = names.Concat(streams.Select(b => b.Output)).Distinct().ToArray();
        var f = Session(Float, wanted, fakeQuantize: false);
        var q = quantized ? Session(Quantized, wanted, fakeQuantize: true) : null;
        var feedF = new StreamFeedback(Float, streams);
        var feedQ = new StreamFeedback(Quantized, streams);
        for (int i = 0; i < samples.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var fo = f.Run(feedF.Feed(samples[i]), wanted);
            if (feedF.Active) feedF.Advance(fo);
            Dictionary<string, Tensor>? qo = null;
            if (q is not null)
            {
                qo = q.Run(feedQ.Feed(samples[i]), wanted);
                if (feedQ.Active) feedQ.Advance(qo);
            }
            visit(i, fo, qo);
        }
    }

    /// <summary>As <see cref="Run"/>, with consecutive samples of equal shapes stacked along the batch axis (up to
    /// <see cref="MaxBatch"/> samples and <see cref="MaxBatchElements"/> input elements) when every input's first dimension
    /// is not fixed and no state is streamed: one run per batch instead of one per sample. <paramref name="visit"/> gets the
    /// number of samples in the batch. Falls back to one sample per run if the model rejects the stacked batch.</summary>
    public void RunBatched(IReadOnlyList<string> names, bool quantized, Action<int, IReadOnlyDictionary<string, Tensor>, IReadOnlyDictionary<string, Tensor>?> visit,
        CancellationToken ct)
    {
        if (TryRunFromCheckpoint(names, quantized, visit, ct)) return;
        var batches = streams.Count > 0 || !BatchableInputs() ? null : Batches();
        if (batches is null || batches.Count == samples.Count)
        {
            Run(names, quantized, (_, f, q) => visit(1, f, q), ct);
            return;
        }
        var f = Session(Float, names, fakeQuantize: false);
        var q = quantized ? Session(Quantized, names, fakeQuantize: true) : null;
        bool first = true;
        foreach (var (inputs, count) in batches)
        {
            ct.ThrowIfCancellationRequested();
            Dictionary<string, Tensor> fo;
            try { fo = f.Run(inputs, names); }
            catch (LowBitException) when (first && count > 1)
            {
                Run(names, quantized, (_, ff, qq) => visit(1, ff, qq), ct);
                return;
            }
            first = false;
            visit(count, fo, q?.Run(inputs, names));
        }
    }

    public const int MaxBatch = 32;
    public const long MaxBatchElements = 1 << 22;

    private bool BatchableInputs() =>
        samples.Count > 1 && Float.RealInputs.All(v => v.Shape is { Length: > 0 } sh && sh[0].Value is null);

    private List<(Dictionary<string, Tensor> Inputs, int Count)> Batches()
    {
        var result = new List<(Dictionary<string, Tensor>, int)>();
        int i = 0;
        while (i < samples.Count)
        {
            int j = i + 1;
            long elements = samples[i].Values.Sum(t => (long)t.Length);
            while (j < samples.Count && j - i < MaxBatch && elements + samples[j].Values.Sum(t => (long)t.Length) <= MaxBatchElements
                   && SameShapes(samples[i], samples[j]))
            {
                elements += samples[j].Values.Sum(t => (long)t.Length);
                j++;
            }
            var batch = samples[i].Keys.ToDictionary(k => k,
                k => j - i == 1 ? samples[i][k] : Onnx.Ops.ConcatOps.DoConcat(Enumerable.Range(i, j - i).Select(s => (Tensor?)samples[s][k]).ToArray(), 0));
            result.Add((batch, j - i));
            i = j;
        }
        return result;
    }

    private static bool SameShapes(IReadOnlyDictionary<string, Tensor> a, IReadOnlyDictionary<string, Tensor> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var t) && t.DType == kv.Value.DType && t.Rank > 0 && t.Shape.AsSpan().SequenceEqual(kv.Value.Shape));

    private Session Session(Graph.Graph g, IReadOnlyList<string> names, bool fakeQuantize, Graph.Graph? cutGraph = null)
    {
        var cut = cutGraph ?? (streams.Count > 0 ? g : Prefix(g, names));
        var s = new Session(cut, new SessionOptions { Optimize = false, Threads = threads });
        if (fakeQuantize && activations.Count > 0)
            s.AddHook((name, _, value) =>
                activations.TryGetValue(name, out var p) && value.DType == DType.Float32 ? Affine.FakeQuantize(value, p) : null);
        return s;
    }

    /// <summary>A shallow graph holding only the nodes <paramref name="names"/> depend on (the whole graph when a
    /// control-flow node is involved: its bodies may read outer values implicitly).</summary>
    private static Graph.Graph Prefix(Graph.Graph g, IReadOnlyList<string> names)
    {
        if (g.Nodes.Any(n => n.Subgraphs().Any())) return g;
        var cut = Shell(g, Ancestors(g, names, stop: null).Nodes, names);
        var need = new HashSet<string>(names, StringComparer.Ordinal);
        cut.Inputs.AddRange(g.Inputs);
        cut.Outputs.AddRange(g.Outputs.Where(o => need.Contains(o.Name)));
        foreach (var (k, v) in g.ValueInfos) cut.ValueInfos[k] = v;
        return cut;
    }

    /// <summary>The nodes <paramref name="names"/> depend on, walking back to initializers, graph inputs and
    /// <paramref name="stop"/> (a value taken as given); <c>ReadsInput</c>: whether a graph input was reached.</summary>
    private static (HashSet<Node> Nodes, bool ReadsInput) Ancestors(Graph.Graph g, IReadOnlyList<string> names, string? stop)
    {
        var producers = g.Producers();
        var keep = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(names);
        bool readsInput = false;
        while (stack.Count > 0)
        {
            string v = stack.Pop();
            if (v == stop || !seen.Add(v) || g.Initializers.ContainsKey(v)) continue;
            if (!producers.TryGetValue(v, out var n)) { readsInput = true; continue; }
            if (keep.Add(n))
                foreach (var i in n.Inputs.Where(i => i.Length > 0)) stack.Push(i);
        }
        return (keep, readsInput);
    }

    /// <summary>A graph of <paramref name="nodes"/> (in <paramref name="g"/>'s order) and the initializers they or
    /// <paramref name="names"/> read; no inputs, outputs or value infos yet.</summary>
    private static Graph.Graph Shell(Graph.Graph g, HashSet<Node> nodes, IReadOnlyList<string> names)
    {
        var shell = new Graph.Graph { Name = g.Name, Opsets = g.Opsets, Metadata = g.Metadata };
        shell.Nodes.AddRange(g.Nodes.Where(nodes.Contains));
        var used = new HashSet<string>(shell.Nodes.SelectMany(n => n.Inputs).Concat(names), StringComparer.Ordinal);
        foreach (var (k, v) in g.Initializers) if (used.Contains(k)) shell.Initializers[k] = v;
        return shell;
    }
}
