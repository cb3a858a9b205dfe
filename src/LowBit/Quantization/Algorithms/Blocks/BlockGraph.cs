using LowBit.Graph;
using LowBit.Quantization.Algorithms.Layers;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Blocks;

/// <summary>One reconstructed layer of a block: its grid neighbours and V in weight-tensor order
/// (<see cref="TensorOf"/>[m] = tensor index of matrix element m, <see cref="LinearLayer.TensorIndex"/>).</summary>
internal sealed class SoftLayer
{
    public required LinearLayer Layer { get; init; }
    public required ElementGrid Grid { get; init; }
    public required float[] Down { get; init; }
    public required float[] Up { get; init; }
    public required float[] Delta { get; init; }
    public required float[] V { get; init; }
    public required int[] TensorOf { get; init; }
    /// <summary>The float weights as the [Rows, Cols] matrix.</summary>
    public required float[] FloatMatrix { get; init; }
    public string VName => Layer.Weight + ".brecq_v";

    /// <summary>The hard-rounded weights (h(V) ≥ ½ → up) as the [Rows, Cols] matrix of grid values.</summary>
    public float[] HardMatrix()
    {
        var t = SoftRounding.Harden(new RoundingBounds(Down, Up, Delta), V);
        var m = new float[t.Length];
        for (int i = 0; i < m.Length; i++) m[i] = t[TensorOf[i]];
        return m;
    }

    public Tensor ToTensor(float[] matrix)
    {
        var t = new float[matrix.Length];
        for (int i = 0; i < matrix.Length; i++) t[TensorOf[i]] = matrix[i];
        return Tensor.FromArray(t, Layer.WeightShape);
    }
}

/// <summary>
/// A block as a graph of its own (input = block input, output = block output), for training and evaluation:
/// <list type="bullet">
/// <item>weights of the reconstructed layers: W̃(V) = down + h(V)·(up − down) (<see cref="SoftRounding"/>), or given grid
/// values; other initializers as in the simulated quantized model (round to nearest for weights without a layer view);</item>
/// <item>every marked activation produced inside the block (not its output) fake-quantized: x̂ = DQ(Q(x)) with the
/// straight-through gradient of QuantizeLinear. With QDrop (Wei et al. 2022, arXiv:2203.05740, §4) each element keeps the
/// float value with probability ½ during training: x̃ = x + ½·Dropout₀.₅(x̂ − x) = x + m⊙(x̂ − x), m ~ Bernoulli(½);</item>
/// <item>the regularizer f_reg = Σ 1 − |2h − 1|^β over all its V's (β a graph input), as output <see cref="Regularizer"/>.</item>
/// </list>
/// Dropout already in the model becomes Identity (training mode must not drop model activations).
/// </summary>
internal static class BlockGraph
{
    public const string Beta = "brecq.beta";
    private const long MinOpset = 13;

    public static string? Regularizer(Graph.Graph g) => g.Outputs.Count > 1 ? g.Outputs[1].Name : null;

    public static Graph.Graph Build(Graph.Graph quantized, Block block, IReadOnlyList<SoftLayer> layers,
        IReadOnlyDictionary<string, QuantParams> activations, IReadOnlyDictionary<string, Tensor> inputs, bool soft, bool qdrop,
        IReadOnlyDictionary<string, Tensor>? weights = null)
    {
        var g = new Graph.Graph { Name = "block", Opsets = new Dictionary<string, long>(quantized.Opsets) };
        foreach (var (name, t) in inputs) g.Inputs.Add(new ValueInfo(name, t.DType, null));
        var read = new HashSet<string>(block.Nodes.SelectMany(n => n.AllInputNames()), StringComparer.Ordinal);
        foreach (var name in read)
            if (quantized.Initializers.TryGetValue(name, out var t)) g.Initializers[name] = t;
        if (weights is not null) foreach (var (name, t) in weights) g.Initializers[name] = t;
        foreach (var n in block.Nodes)
        {
            var copy = n.OpType == "Dropout"
                ? new Node("Identity", [n.Inputs[0]], [n.Outputs[0]], n.Name)
                : new Node(n.OpType, n.Inputs, n.Outputs, n.Name, n.Domain);
            if (n.OpType != "Dropout") foreach (var (k, a) in n.Attributes) copy.Attributes[k] = a;
            g.Nodes.Add(copy);
        }
        // Q/DQ with their straight-through gradients and Clip with min/max inputs need opset ≥ 13 (old models: upgraded).
        Prepare.OpsetUpgrade.Apply(g, MinOpset);
        var modelNodes = g.Nodes.ToList();
        var regs = new List<string>();
        if (soft)
        {
            g.Inputs.Add(new ValueInfo(Beta, DType.Float32, null));
            foreach (var l in layers)
            {
                string prefix = l.Layer.Weight + ".brecq";
                g.Initializers[l.VName] = Tensor.FromArray(l.V, l.Layer.WeightShape);
                g.Initializers[prefix + ".down"] = Tensor.FromArray(l.Down, l.Layer.WeightShape);
                g.Initializers[prefix + ".delta"] = Tensor.FromArray(l.Delta, l.Layer.WeightShape);
                var (w, reg) = SoftRounding.Add(g, l.VName, prefix + ".down", prefix + ".delta", Beta, prefix);
                g.Initializers.Remove(l.Layer.Weight);
                g.Add("Identity", [w], [l.Layer.Weight], prefix + ".weight");
                regs.Add(reg);
            }
        }
        foreach (var copy in modelNodes)
            foreach (var v in copy.Outputs.ToList())
            {
                if (v.Length == 0 || v == block.Output || !activations.TryGetValue(v, out var p) || !Quantizable(p)) continue;
                string raw = v + ".brecq_float";
                copy.Outputs[copy.Outputs.IndexOf(v)] = raw;
                FakeQuantize(g, raw, v, p, qdrop);
            }
        g.Outputs.Add(new ValueInfo(block.Output, DType.Float32, null));
        if (regs.Count > 0)
        {
            string total = regs[0];
            for (int i = 1; i < regs.Count; i++)
            {
                string sum = g.UniqueName("brecq.reg_sum");
                g.Add("Add", [total, regs[i]], [sum], sum);
                total = sum;
            }
            g.Outputs.Add(new ValueInfo(total, DType.Float32, null));
        }
        TopologicalSort.Apply(g);
        return g;
    }

    /// <summary>Per-tensor parameters of a format with an ONNX element type (what Q/DQ nodes can express here).</summary>
    private static bool Quantizable(QuantParams p) => p.Scales.Length == 1 && p.Format.OnnxType is not null;

    private static void FakeQuantize(Graph.Graph g, string raw, string output, QuantParams p, bool qdrop)
    {
        string scale = g.UniqueName(output + ".brecq_scale"), zero = g.UniqueName(output + ".brecq_zero");
        g.Initializers[scale] = p.ScaleTensor().Reshape([]);
        g.Initializers[zero] = p.ZeroPointTensor().Reshape([]);
        string q = g.UniqueName(output + ".brecq_q"), dq = g.UniqueName(output + ".brecq_dq");
        g.Add("QuantizeLinear", [raw, scale, zero], [q], q);
        g.Add("DequantizeLinear", [q, scale, zero], [qdrop ? dq : output], dq);
        if (!qdrop) return;
        string diff = g.UniqueName(output + ".brecq_diff"), dropped = g.UniqueName(output + ".brecq_drop"), half = g.UniqueName(output + ".brecq_half");
        string ratio = g.UniqueName(output + ".brecq_ratio"), c = g.UniqueName(output + ".brecq_c");
        g.Initializers[ratio] = Tensor.FromArray(new[] { 0.5f }, []);
        g.Initializers[c] = Tensor.FromArray(new[] { 0.5f }, []);
        g.Add("Sub", [dq, raw], [diff], diff);
        g.Add("Dropout", [diff, ratio], [dropped], dropped);
        g.Add("Mul", [dropped, c], [half], half);
        g.Add("Add", [raw, half], [output], output + ".brecq_mix");
    }
}
