using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>The settings a node is quantized with: the global config, or its recipe override.</summary>
internal sealed record NodeSettings(WeightQuantConfig Weights, ActivationQuantConfig? Activations, bool ExplicitActivations);

/// <summary>
/// What an <see cref="IOpQuantizer"/> sees of its node and may mark. Every method is idempotent and returns whether the
/// mark holds, so marking can run to a fixed point. Activation marks apply to float32 values that are not initializers;
/// in weight-only mode they are ignored (return false). Graph outputs are not quantized unless the config asks.
/// </summary>
internal sealed class NodeMarker
{
    private readonly Marker ctx;

    public Node Node { get; }
    public NodeSettings Settings { get; }
    public QuantMode Mode => ctx.Config.Mode;
    private QdqPlan Plan => ctx.Plan;

    public NodeMarker(Marker ctx, Node node, NodeSettings settings)
    {
        this.ctx = ctx;
        Node = node;
        Settings = settings;
    }

    public Graph.Graph Graph => ctx.Graph;

    /// <summary>A float32 value computed at run time (or a graph input).</summary>
    public bool IsActivation(string v) => v.Length > 0 && !ctx.Graph.Initializers.ContainsKey(v) && ctx.TypeOf(v) == DType.Float32;

    public bool IsFloatInitializer(string v) => v.Length > 0 && ctx.Graph.Initializers.TryGetValue(v, out var t) && t.DType == DType.Float32;

    public Tensor Initializer(string v) => ctx.Graph.Initializers[v];

    public bool IsMarked(string v) => Plan.Activations.ContainsKey(v);

    /// <summary>Marks an activation for Q/DQ (static mode). A graph output marked as an input of a quantized node keeps
    /// its float value as the output; only its readers see the quantized one.</summary>
    public bool Activation(string v)
    {
        if (Mode != QuantMode.Static || !IsActivation(v)) return false;
        Plan.AddActivation(new ActivationMark(v, Settings.Activations!, Node.DisplayName, Settings.ExplicitActivations));
        Plan.Quantized.Add(Node);
        return true;
    }

    /// <summary>Marks a node output, except where a Relu/Clip follows a fusable producer (Conv, Gemm, MatMul, Add, Mul):
    /// then the activation quantizes its own output and no Q/DQ separates the pair (ONNX Runtime fuses
    /// DQ→Conv→Relu→Q into QLinearConv only in that shape). Not marked either: a value a float-kept Softmax reads, since
    /// ONNX Runtime would fuse DQ→Softmax→Q into QLinearSoftmax, whose table-based exp differs from float Softmax (measured
    /// up to 2 % of the block output on a transformer block), breaking "simulation = deployment".</summary>
    public bool Output(string v, bool fusableProducer = true)
    {
        if (!OutputQuantizable(v)) return false;
        if (fusableProducer && ctx.FollowedByFusedActivation(v))
        {
            Plan.FusedActivationInputs.Add(v);
            Plan.Quantized.Add(Node);
            return false;
        }
        return Activation(v);
    }

    /// <summary>Whether <see cref="Output"/> can quantize <paramref name="v"/> or a following Relu/Clip will (static mode).</summary>
    public bool OutputQuantizable(string v) => Mode == QuantMode.Static && OutputAllowed(v) && !ctx.ReadByFloatSoftmax(v);

    /// <summary>Quantizes <paramref name="output"/> with the scale of <paramref name="input"/> (pass-through ops), only
    /// when the input is already quantized: pass-through ops never start a quantized region.</summary>
    public bool SameAs(string output, string input)
    {
        if (!IsMarked(input) || !OutputAllowed(output) || !Activation(output)) return false;
        Plan.Union(input, output);
        return true;
    }

    /// <summary>Makes marked tensors share one scale (Concat).</summary>
    public void Share(IReadOnlyList<string> tensors)
    {
        var marked = tensors.Where(IsMarked).ToList();
        for (int i = 1; i < marked.Count; i++) Plan.Union(marked[0], marked[i]);
    }

    /// <summary>Was <paramref name="v"/> left unquantized for a following Relu/Clip?</summary>
    public bool IsFusedActivationInput(string v) => Plan.FusedActivationInputs.Contains(v);

    /// <summary>Marks a float initializer as a weight (every mode: weights are always quantized offline).</summary>
    public bool Weight(string initializer, int channelAxis, int reductionAxis, bool perChannelAllowed = true)
    {
        if (!IsFloatInitializer(initializer) || Plan.Constants.ContainsKey(initializer) || Plan.Biases.Any(b => b.Bias == initializer)) return false;
        if (Plan.Weights.TryGetValue(initializer, out var existing))
        {
            if (existing.Node != Node && existing.Config != Settings.Weights)
                Plan.Warnings.Add($"weight '{initializer}' is shared by {existing.Node.DisplayName} and {Node.DisplayName}; both use {existing.Config}");
            Plan.Quantized.Add(Node);
            return true;
        }
        var t = Initializer(initializer);
        int rank = t.Rank;
        if (rank == 0) return false;
        channelAxis = Math.Clamp(channelAxis, 0, rank - 1);
        reductionAxis = Math.Clamp(reductionAxis, 0, rank - 1);
        var w = Settings.Weights;
        var granularity = w.Granularity.Resolve(channelAxis, reductionAxis);
        if (granularity is PerChannel pc && (!perChannelAllowed || pc.Axis < -rank || pc.Axis >= rank))
        {
            Plan.Warnings.Add($"{Node.DisplayName}: per-channel weights do not apply to '{initializer}' {t.ShapeString}; quantized per tensor");
            granularity = Quantization.PerTensor.Instance;
        }
        Plan.Weights[initializer] = new WeightMark(initializer, w, granularity, Node, channelAxis, reductionAxis);
        Plan.Quantized.Add(Node);
        return true;
    }

    /// <summary>Marks a bias for int32 storage with scale s_input·s_weight (static mode; needs the input quantized and the
    /// weight per tensor or per channel along the bias axis).</summary>
    public bool Bias(int inputIndex, string input, string weight)
    {
        string bias = Node.Inputs[inputIndex];
        if (Mode != QuantMode.Static || !IsFloatInitializer(bias) || !IsMarked(input) || Plan.Weights.ContainsKey(bias) || Plan.Constants.ContainsKey(bias)) return false;
        if (!Plan.Weights.TryGetValue(weight, out var w) || w.Granularity is PerGroup) return false;
        if (Plan.Biases.Any(b => b.Node == Node && b.InputIndex == inputIndex)) return true;
        Plan.Biases.Add(new BiasMark(Node, inputIndex, bias, input, weight));
        return true;
    }

    /// <summary>Marks a constant operand of Add/Mul for storage in the activation format (static mode).</summary>
    public bool ConstantOperand(string initializer)
    {
        if (Mode != QuantMode.Static || !IsFloatInitializer(initializer) || Plan.Weights.ContainsKey(initializer)) return false;
        Plan.Constants.TryAdd(initializer, new ConstantMark(initializer, Settings.Activations!, Node));
        Plan.Quantized.Add(Node);
        return true;
    }

    private bool OutputAllowed(string v) => ctx.Config.QuantizeGraphOutputs || !ctx.GraphOutputs.Contains(v);
}
