using LowBit.Formats;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Runs every node's <see cref="IOpQuantizer"/> (from <see cref="QdqRegistry"/>) in topological order, repeated until
/// no mark is added (a pass-through op before the quantized reader of its input is picked up on the next pass), and
/// records why each other node stays float. Exclusions and recipe overrides are resolved per node here.
/// </summary>
internal sealed class Marker
{
    private readonly Dictionary<string, DType> types;
    private readonly Dictionary<string, List<Node>> consumers;
    private readonly HashSet<string> excludedNames, excludedOps;
    private readonly IReadOnlyDictionary<string, NodeOverride> overrides;

    public Graph.Graph Graph { get; }
    public QuantizerConfig Config { get; }
    public bool ReduceRange { get; }
    public QdqPlan Plan { get; } = new();
    public HashSet<string> GraphOutputs { get; }

    private Marker(Graph.Graph g, QuantizerConfig config, bool reduceRange, Dictionary<string, DType> types)
    {
        Graph = g;
        Config = config;
        ReduceRange = reduceRange;
        this.types = types;
        consumers = g.Consumers();
        GraphOutputs = new HashSet<string>(g.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        excludedNames = new HashSet<string>(config.ExcludeNodes.Concat(config.Recipe?.ExcludeNodes ?? []), StringComparer.Ordinal);
        excludedOps = new HashSet<string>(config.ExcludeOpTypes.Concat(config.Recipe?.ExcludeOpTypes ?? []), StringComparer.Ordinal);
        overrides = config.Recipe?.Nodes ?? new Dictionary<string, NodeOverride>();
    }

    public static QdqPlan Run(Graph.Graph g, QuantizerConfig config, bool reduceRange, Dictionary<string, DType> types)
    {
        var m = new Marker(g, config, reduceRange, types);
        var markers = new List<(IOpQuantizer Q, NodeMarker M)>();
        foreach (var node in g.Nodes)
        {
            string? why = m.ExclusionReason(node);
            var q = why is null ? QdqRegistry.For(node, config.QuantizeOpTypes) : null;
            if (why is null && q is null) why = QdqRegistry.FloatReason(node);
            if (why is not null) { m.Plan.FloatReasons[node] = why; continue; }
            markers.Add((q!, new NodeMarker(m, node, m.SettingsFor(node))));
        }
        for (int pass = 0; pass < 8; pass++)
        {
            int before = m.Plan.Count;
            foreach (var (q, nm) in markers) q.Mark(nm);
            if (m.Plan.Count == before) break;
        }
        foreach (var (_, nm) in markers)
            if (!m.Plan.Quantized.Contains(nm.Node))
                m.Plan.FloatReasons[nm.Node] = config.Mode == QuantMode.Static
                    ? "no float input to quantize (inputs are integers, or not quantized upstream for a pass-through op)"
                    : $"nothing to quantize in {QuantizerConfig.ModeName(config.Mode)} mode";
        return m.Plan;
    }

    /// <summary>Key of a node in configs, recipes and the manifest: its name, or "OpType→firstOutput" when unnamed.</summary>
    public static string Key(Node n) => n.DisplayName;

    private string? ExclusionReason(Node n)
    {
        if (excludedNames.Contains(Key(n))) return "excluded by name";
        if (n.Name.StartsWith(Algorithms.InputTransform.NodePrefix, StringComparison.Ordinal)) return "inserted by SmoothQuant/RepQuant/rotation (kept float)";
        if (excludedOps.Contains(n.OpType)) return $"excluded by op type {n.OpType}";
        if (overrides.TryGetValue(Key(n), out var o) && o.KeepFloat) return "kept float by the recipe";
        return null;
    }

    public bool IsExcluded(Node n) => ExclusionReason(n) is not null;

    public DType TypeOf(string v) => types.TryGetValue(v, out var d) ? d : DType.Undefined;

    private NodeSettings SettingsFor(Node n)
    {
        overrides.TryGetValue(Key(n), out var o);
        var w = Narrow(o?.Weights ?? Config.Weights);
        var a = o?.Activations ?? Config.Activations;
        return new NodeSettings(w, a, o?.Activations is not null);
    }

    /// <summary>Reduce-range: signed 8-bit weights become 7-bit ([−64, 63]; narrow [−63, 63]) so that two adjacent
    /// u8·s7 products sum to at most 255·64·2 = 32640, inside vpmaddubsw's int16.</summary>
    private WeightQuantConfig Narrow(WeightQuantConfig w)
    {
        if (!ReduceRange || w.Format is not IntFormat { Bits: 8, IsSigned: true } f) return w;
        return new WeightQuantConfig(new IntFormat(7, signed: true, narrow: f.IsNarrow), w.Granularity, w.Scheme, w.Range, w.ScaleFormat);
    }

    /// <summary>True when a Softmax/LogSoftmax the config keeps float reads <paramref name="v"/>.</summary>
    public bool ReadByFloatSoftmax(string v) =>
        consumers.TryGetValue(v, out var readers) && readers.Any(r => r.Domain.Length == 0 && r.OpType is "Softmax" or "LogSoftmax"
            && (!Config.QuantizeOpTypes.Contains(r.OpType) || IsExcluded(r)));

    /// <summary>True when the only reader of <paramref name="v"/> is a Relu or a Clip with constant bounds that will be
    /// quantized, and <paramref name="v"/> is not a graph output.</summary>
    public bool FollowedByFusedActivation(string v)
    {
        if (GraphOutputs.Contains(v) || !consumers.TryGetValue(v, out var readers) || readers.Count != 1) return false;
        var r = readers[0];
        if (r.Domain.Length != 0 || r.Inputs.Count == 0 || r.Inputs[0] != v || r.Inputs.Skip(1).Contains(v) || IsExcluded(r)) return false;
        if (r.OpType == "Relu") return true;
        return r.OpType == "Clip" && r.Inputs.Skip(1).All(b => b.Length == 0 || Graph.Initializers.ContainsKey(b));
    }
}
