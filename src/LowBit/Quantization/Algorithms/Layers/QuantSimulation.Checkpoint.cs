using LowBit.Graph;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>
/// Checkpoints: layer-wise algorithms solve layers in graph order, and capturing layer l otherwise re-runs the model
/// prefix up to l for every sample (O(L²) layer evaluations over a model). <see cref="Advance"/> stores the value of a
/// <i>cut</i> (a single value every later node depends on through, <see cref="Blocks.BlockPartition"/>) for every sample
/// batch, in the float and the quantized model, once every layer before it is final; later <see cref="RunBatched"/> calls
/// whose values depend on the model inputs only through that cut run from it (O(L) in all). The runs from a checkpoint
/// see the same batches and compute the same ops on the same values, so the results are identical to full runs; the
/// stored quantized value is the hooked (fake-quantized) one, and re-applying the hook to it as an input is a no-op
/// (FakeQuantize is idempotent on grid values). Off with streamed state or control flow, and when the stored values
/// would exceed <see cref="CheckpointBudgetBytes"/> (then every run starts from the inputs, as before).
/// </summary>
internal sealed partial class QuantSimulation
{
    /// <summary>Largest total size of one checkpoint's stored values (float and quantized, all samples).</summary>
    public const long CheckpointBudgetBytes = 1L << 29;

    /// <summary>Set false to measure or test the plain path.</summary>
    internal static bool UseCheckpoints { get; set; } = true;

    /// <summary>Runs started from a checkpoint on this thread (tests check the fast path ran).</summary>
    [ThreadStatic] private static int runsFromCheckpoint;
    internal static int RunsFromCheckpoint => runsFromCheckpoint;

    private sealed record Stored(int Count, Tensor Float, Tensor? Quantized);

    private string? checkpoint;
    private List<Stored>? stored;

    /// <summary>Makes <paramref name="cut"/> the checkpoint; the caller guarantees every weight it depends on is final in
    /// <see cref="Quantized"/>. Returns false (and keeps no checkpoint) when checkpoints cannot be used.</summary>
    public bool Advance(string cut, CancellationToken ct)
    {
        if (!UseCheckpoints || streams.Count > 0 || Float.Nodes.Any(n => n.Subgraphs().Any()) || Float.RealInputs.Any(i => i.Name == cut))
            return false;
        if (cut == checkpoint) return true;
        var next = new List<Stored>();
        long bytes = 0;
        bool fits = true;
        RunBatched([cut], true, (count, f, q) =>
        {
            if (!fits) return;
            var t = f[cut];
            bytes += (long)t.Length * Math.Max(1, DTypes.BitsPerElement(t.DType) / 8) * (q is null ? 1 : 2);
            if (bytes > CheckpointBudgetBytes) { fits = false; next.Clear(); return; }
            next.Add(new Stored(count, t.Clone(), q?[cut].Clone()));
        }, ct);
        (checkpoint, stored) = fits ? (cut, next) : (null, null);
        return fits;
    }

    private bool TryRunFromCheckpoint(IReadOnlyList<string> names, bool quantized,
        Action<int, IReadOnlyDictionary<string, Tensor>, IReadOnlyDictionary<string, Tensor>?> visit, CancellationToken ct)
    {
        if (checkpoint is not { } cut || stored is not { Count: > 0 } || stored.Any(s => quantized && s.Quantized is null)) return false;
        var type = stored[0].Float.DType;
        var fGraph = From(Float, names, cut, type);
        if (fGraph is null) return false;
        var f = Session(Float, names, fakeQuantize: false, fGraph);
        var q = quantized ? Session(Quantized, names, fakeQuantize: true, From(Quantized, names, cut, type)) : null;
        runsFromCheckpoint++;
        foreach (var s in stored)
        {
            ct.ThrowIfCancellationRequested();
            var fo = f.Run(new Dictionary<string, Tensor> { [cut] = s.Float }, names);
            visit(s.Count, fo, q?.Run(new Dictionary<string, Tensor> { [cut] = s.Quantized! }, names));
        }
        return true;
    }

    /// <summary>The nodes <paramref name="names"/> depend on, with <paramref name="cut"/> as the only input; null when they
    /// also read a model input or a value produced before the cut other than through it.</summary>
    private static Graph.Graph? From(Graph.Graph g, IReadOnlyList<string> names, string cut, DType type)
    {
        var (nodes, readsInput) = Ancestors(g, names, cut);
        if (readsInput) return null;  // a model input reached around the cut
        var sub = Shell(g, nodes, names);
        sub.Inputs.Add(new ValueInfo(cut, type, null));  // no shape: batches stack samples along the first axis
        foreach (var (k, v) in g.ValueInfos) if (k != cut) sub.ValueInfos[k] = v;
        return sub;
    }
}
