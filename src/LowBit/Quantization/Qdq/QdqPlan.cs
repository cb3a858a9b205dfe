using LowBit.Graph;

namespace LowBit.Quantization.Qdq;

/// <summary>An activation tensor marked for QuantizeLinear→DequantizeLinear. <see cref="Explicit"/>: the config came
/// from a recipe override (it wins over defaults when tensors share a scale).</summary>
internal sealed record ActivationMark(string Tensor, ActivationQuantConfig Config, string Node, bool Explicit);

/// <summary>A float initializer stored as integers behind a DequantizeLinear. Output channels lie along
/// <see cref="ChannelAxis"/>, dot products run along <see cref="ReductionAxis"/>.</summary>
internal sealed record WeightMark(string Initializer, WeightQuantConfig Config, Granularity Granularity, Node Node, int ChannelAxis, int ReductionAxis);

/// <summary>A bias stored as int32 with scale s_x·s_w (per output channel) and zero point 0, for <see cref="Node"/>.</summary>
internal sealed record BiasMark(Node Node, int InputIndex, string Bias, string Input, string Weight);

/// <summary>A constant operand of Add/Mul stored with the activation format (QLinearAdd/QLinearMul take one type).</summary>
internal sealed record ConstantMark(string Initializer, ActivationQuantConfig Config, Node Node);

/// <summary>
/// The marks of "mark, then rewrite" (REFERENCE-CODEBASES.md §3): op quantizers only record intent here; calibration
/// reads <see cref="Activations"/> grouped by shared scale, and the rewriters insert every Q/DQ from it.
/// </summary>
internal sealed class QdqPlan
{
    private readonly Dictionary<string, string> parent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> order = new(StringComparer.Ordinal);

    public Dictionary<string, ActivationMark> Activations { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, WeightMark> Weights { get; } = new(StringComparer.Ordinal);
    public List<BiasMark> Biases { get; } = new();
    public Dictionary<string, ConstantMark> Constants { get; } = new(StringComparer.Ordinal);
    /// <summary>Outputs of Conv/Gemm/MatMul/Add/Mul left unquantized because a Relu/Clip follows (Q/DQ go after it).</summary>
    public HashSet<string> FusedActivationInputs { get; } = new(StringComparer.Ordinal);
    /// <summary>Nodes that marked something: the quantized nodes.</summary>
    public HashSet<Node> Quantized { get; } = new(ReferenceEqualityComparer.Instance);
    /// <summary>Why a node stays float (excluded, not quantizable, inputs not float).</summary>
    public Dictionary<Node, string> FloatReasons { get; } = new(ReferenceEqualityComparer.Instance);
    public List<string> Warnings { get; } = new();

    public int Count => Activations.Count + Weights.Count + Biases.Count + Constants.Count + FusedActivationInputs.Count;

    public void AddActivation(ActivationMark m)
    {
        if (Activations.TryGetValue(m.Tensor, out var old))
        {
            if (old.Explicit || !m.Explicit) return;
        }
        else
        {
            order[m.Tensor] = order.Count;
            parent[m.Tensor] = m.Tensor;
        }
        Activations[m.Tensor] = m;
    }

    /// <summary>Representative of the tensor's scale group: the first-marked member, so names are stable.</summary>
    public string Root(string t)
    {
        var p = parent[t];
        if (p == t) return t;
        var r = Root(p);
        parent[t] = r;
        return r;
    }

    /// <summary>Makes two marked tensors share one scale and zero point.</summary>
    public void Union(string a, string b)
    {
        string ra = Root(a), rb = Root(b);
        if (ra == rb) return;
        if (order[ra] < order[rb]) parent[rb] = ra;
        else parent[ra] = rb;
    }

    public bool SameGroup(string a, string b) => Root(a) == Root(b);

    /// <summary>Scale groups in marking order: root → members (root first).</summary>
    public List<(string Root, List<string> Members)> Groups()
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var t in Activations.Keys.OrderBy(k => order[k]))
        {
            string r = Root(t);
            if (!groups.TryGetValue(r, out var list)) groups[r] = list = new();
            list.Add(t);
        }
        return groups.Select(kv => (kv.Key, kv.Value)).ToList();
    }

    /// <summary>The config of a group: an explicit (recipe) config if its members carry one, else the root's.
    /// Two different explicit configs in one group cannot both hold: that is a usage error naming both nodes.</summary>
    public ActivationQuantConfig GroupConfig(string root, IEnumerable<string> members)
    {
        ActivationMark? chosen = null;
        foreach (var m in members.Select(t => Activations[t]).Where(m => m.Explicit))
        {
            if (chosen is not null && chosen.Config != m.Config)
                throw new LowBitException(ErrorKind.Usage,
                    $"recipe: nodes '{chosen.Node}' ({chosen.Config}) and '{m.Node}' ({m.Config}) set different activation formats on tensors that must share one scale ({chosen.Tensor}, {m.Tensor})");
            chosen ??= m;
        }
        return (chosen ?? Activations[root]).Config;
    }
}
