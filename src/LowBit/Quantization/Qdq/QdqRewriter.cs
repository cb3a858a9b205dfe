using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Inserts the nodes the marks ask for (static mode), placed as ONNX Runtime's QDQ selectors expect:
/// <list type="bullet">
/// <item>activation T: one <c>T → QuantizeLinear → DequantizeLinear → T_dequantized</c> pair right after T's producer,
/// read by every reader of T (one Q per tensor, shared by all consumers); members of a scale group share one scale and
/// zero-point initializer. A graph output keeps its float value unless the config quantizes outputs (then the producer
/// writes <c>T_float</c> and the DequantizeLinear writes T).</item>
/// <item>weights and Add/Mul constants: integer initializers + DequantizeLinear writing the original name (no Q); weights
/// in formats without integer storage: packed codes + lookup table writing the original name (<see cref="LookupWeights"/>).</item>
/// <item>bias of Conv/Gemm: int32 q = round(b / (s_x·s_w)), scale s_x·s_w per output channel (float32 product), zero
/// point 0; a bias read by several nodes gets one copy per node. <see cref="BiasFit"/> widens symmetric weight scales so
/// the codes fit; a bias that still would not (asymmetric weights) stays float32 with a warning, never saturated.</item>
/// </list>
/// </summary>
internal static class QdqRewriter
{
    public static void Apply(Graph.Graph g, QdqPlan plan, QdqParams p, bool quantizeOutputs)
    {
        var before = new Dictionary<Node, List<Node>>(ReferenceEqualityComparer.Instance);
        var after = new Dictionary<Node, List<Node>>(ReferenceEqualityComparer.Instance);
        var head = new List<Node>();
        var producers = g.Producers();
        void Before(Node n, Node add) { if (!before.TryGetValue(n, out var l)) before[n] = l = new(); l.Add(add); }
        void After(Node n, Node add) { if (!after.TryGetValue(n, out var l)) after[n] = l = new(); l.Add(add); }

        foreach (var b in plan.Biases.ToList()) Bias(g, b, p, Before, plan);
        foreach (var (name, _) in plan.Weights)
        {
            if (!LookupWeights.Applies(p.Weights[name].Format)) { head.Add(QdqNodes.DequantizedInitializer(g, name, p.Weights[name])); continue; }
            // Packed codes + lookup table: a float weight, so the node runs as DQ(x) → float op → Q (no integer kernel).
            var lookup = LookupWeights.Replace(g, name, p.Weights[name]);
            g.Nodes.InsertRange(0, lookup);
        }
        foreach (var (name, _) in plan.Constants) head.Add(QdqNodes.DequantizedInitializer(g, name, p.Constants[name]));

        var outputs = new HashSet<string>(g.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        var groupNames = new Dictionary<QuantParams, (string Scale, string Zero)>(ReferenceEqualityComparer.Instance);
        var consumers = g.Consumers();
        foreach (var (root, members) in plan.Groups())
            foreach (var t in members)
            {
                if (!p.Activations.TryGetValue(t, out var qp)) continue;
                if (!groupNames.TryGetValue(qp, out var names))
                    groupNames[qp] = names = (QdqNodes.AddInitializer(g, root + "_scale", qp.ScaleTensor()),
                        QdqNodes.AddInitializer(g, root + "_zero_point", Formats.CodeStorage.ToTensor(qp.ZeroPoints, ActivationQuantConfig.Storage(qp.Format), qp.ScaleShape)));
                bool asOutput = quantizeOutputs && outputs.Contains(t) && producers.ContainsKey(t);
                string source = t, dequantized = g.UniqueName(t + "_dequantized");
                if (asOutput)
                {
                    source = g.UniqueName(t + "_float");
                    var prod = producers[t];
                    prod.Outputs[prod.Outputs.IndexOf(t)] = source;
                    dequantized = t;
                }
                string quantized = g.UniqueName(t + "_quantized");
                // A grid narrower than its storage type is kept by a Clip: before the QuantizeLinear for unsigned grids, after the
                // DequantizeLinear for signed ones (ONNX Runtime 1.31's int8→uint8 rewrite of MaxPool's Q/DQ mistypes a
                // QuantizeLinear that reads a Clip). Both give s·(clamp(round(x/s) + z, qmin, qmax) − z).
                Node? clip = null;
                string qInput = source, dqOutput = dequantized;
                if (ActivationQuantConfig.IsNarrowerThanStorage(qp.Format))
                {
                    if (qp.Format.IsSigned) dqOutput = g.UniqueName(t + "_dequantized_wide");
                    clip = GridClip(g, qp.Format.IsSigned ? dqOutput : source, qp, qp.Format.IsSigned ? dequantized : null);
                    if (!qp.Format.IsSigned) qInput = clip.Outputs[0];
                }
                var q = new Node("QuantizeLinear", [qInput, names.Scale, names.Zero], [quantized], g.UniqueName(t + "_QuantizeLinear"));
                var dq = new Node("DequantizeLinear", [quantized, names.Scale, names.Zero], [dqOutput], g.UniqueName(t + "_DequantizeLinear"));
                if (!asOutput && consumers.TryGetValue(t, out var readers))
                    foreach (var r in readers.Where(r => !KeptFloatCompute(plan, r)))
                        for (int i = 0; i < r.Inputs.Count; i++)
                            if (r.Inputs[i] == t) r.Inputs[i] = dequantized;
                Node[] added = clip is null ? [q, dq] : qp.Format.IsSigned ? [q, dq, clip] : [clip, q, dq];
                if (producers.TryGetValue(asOutput ? t : source, out var producer)) foreach (var n in added) After(producer, n);
                else head.AddRange(added);
            }

        var ordered = new List<Node>(head);
        foreach (var n in g.Nodes)
        {
            if (before.TryGetValue(n, out var b)) ordered.AddRange(b);
            ordered.Add(n);
            if (after.TryGetValue(n, out var a)) ordered.AddRange(a);
        }
        g.Nodes.Clear();
        g.Nodes.AddRange(ordered);
        Prepare.ConstantFolding.RemoveUnread(g, plan.Biases.Select(b => b.Bias).ToList());
    }

    /// <summary>Clip(x, s·(qmin − z), s·(qmax − z)): keeps a grid narrower than its storage type
    /// (<see cref="ActivationQuantConfig.Storage"/>). Before Q, the bounds divide back to exactly qmin − z and qmax − z
    /// after rounding and the Clip is the identity between them, so Q(Clip(x)) holds the narrow codes; after DQ, the bounds
    /// are exactly DQ(qmin) and DQ(qmax) (the same float32 product), so Clip(DQ(Q(x))) = DQ(clamp(Q(x), qmin, qmax)).</summary>
    private static Node GridClip(Graph.Graph g, string x, QuantParams p, string? output = null)
    {
        var (qmin, qmax) = p.Format.IntegerRange!.Value;
        float s = p.Scales[0];
        int z = p.ZeroPoints[0];
        string lo = QdqNodes.AddInitializer(g, x + "_grid_min", Tensor.FromArray(new[] { s * (qmin - z) }, []));
        string hi = QdqNodes.AddInitializer(g, x + "_grid_max", Tensor.FromArray(new[] { s * (qmax - z) }, []));
        return new Node("Clip", [x, lo, hi], [output ?? g.UniqueName(x + "_grid_clipped")], g.UniqueName(x + "_GridClip"));
    }

    /// <summary>A Conv/Gemm/MatMul the user keeps float (excluded, or float in the recipe) reads the float value, not a
    /// neighbour's dequantized one: a float layer sees no quantization, and ONNX Runtime 1.31's optimizer mis-handles a
    /// DequantizeLinear feeding a float depthwise Conv (measured on mobilenet-v2-tiny with a mixed recipe: 0.7 dB SQNR
    /// at that Conv's output against the unoptimized session, which matches LowBit exactly).</summary>
    internal static bool KeptFloatCompute(QdqPlan plan, Node reader) =>
        reader.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" && plan.FloatReasons.TryGetValue(reader, out var why)
        && (why.StartsWith("excluded by", StringComparison.Ordinal) || why == "kept float by the recipe");

    private static void Bias(Graph.Graph g, BiasMark b, QdqParams p, Action<Node, Node> before, QdqPlan plan)
    {
        if (!p.Activations.TryGetValue(b.Input, out var px) || !p.Weights.TryGetValue(b.Weight, out var pw)) return;
        var bias = g.Initializers[b.Bias];
        var values = QdqParams.Floats(bias);
        int n = values.Length;
        if (BiasScales(px, pw, n) is not float[] scales) return;
        bool perChannel = scales.Length > 1;
        var codes = new int[n];
        for (int c = 0; c < n; c++)
        {
            double r = Math.Round((double)values[c] / scales[perChannel ? c : 0], MidpointRounding.ToEven);
            if (Math.Abs(r) > int.MaxValue)
            {
                plan.Biases.Remove(b);
                plan.Warnings.Add($"{b.Node.DisplayName}: bias '{b.Bias}'[{c}] = {values[c]:G4} is {Math.Abs(r) / int.MaxValue:0.##}× the int32 range at " +
                    $"scale s_x·s_w = {scales[perChannel ? c : 0]:G3}; the bias stays float32");
                return;
            }
            codes[c] = (int)r;
        }
        int axis = bias.Rank == 2 ? 1 : 0;
        string stem = b.Bias + (g.Nodes.Count(x => x.Inputs.Contains(b.Bias)) > 1 ? "_" + b.Node.DisplayName : "");
        string q = QdqNodes.AddInitializer(g, stem + "_quantized", Tensor.FromArray(codes, bias.Shape));
        string s = QdqNodes.AddInitializer(g, stem + "_quantized_scale", perChannel ? Tensor.FromArray(scales, n) : Tensor.FromArray(new[] { scales[0] }, []));
        string z = QdqNodes.AddInitializer(g, stem + "_quantized_zero_point", perChannel ? Tensor.Zeros(DType.Int32, n) : Tensor.Zeros(DType.Int32));
        string output = g.UniqueName(stem + "_dequantized");
        var dq = new Node("DequantizeLinear", [q, s, z], [output], g.UniqueName(stem + "_DequantizeLinear"));
        if (perChannel) dq.With("axis", (long)axis);
        b.Node.Inputs[b.InputIndex] = output;
        before(b.Node, dq);
    }

    /// <summary>Bias scales s_x·s_w (one per output channel, or one when the weight is per tensor), float32 products as
    /// ONNX Runtime computes them; null when they do not fit the bias or underflow to 0 (the bias then stays float).</summary>
    internal static float[]? BiasScales(QuantParams px, QuantParams pw, int biasLength)
    {
        if (pw.Scales.Length != 1 && pw.Scales.Length != biasLength) return null;
        float sx = px.Scales[0];
        var scales = new float[pw.Scales.Length];
        for (int c = 0; c < scales.Length; c++)
        {
            scales[c] = sx * pw.Scales[c];
            if (!(scales[c] > 0) || !float.IsFinite(scales[c])) return null;
        }
        return scales;
    }
}
