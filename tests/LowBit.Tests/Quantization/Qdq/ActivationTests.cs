using LowBit.Graph;
using LowBit.Nn;
using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>Relu/Clip fusion awareness, standalone pass-through ops, Concat sharing, and ops without a quantizer.</summary>
public class ActivationTests
{
    /// <summary>x → c1 → relu → pool → relu_b (standalone) → c2 → Clip(0, 6) → Sigmoid → Flatten → y.
    /// Sigmoid has no quantizer.</summary>
    private static Graph.Graph Chain()
    {
        var b = new GraphBuilder("chain", 5);
        string x = b.Input("x", DType.Float32, 2, 8, 8);
        string r = b.Relu(b.Conv(x, 2, 4, 3, name: "c1"), "relu");
        string p = b.MaxPool(r, 2, 2, name: "pool");
        string rb = b.Relu(p, "relu_b");
        string c = b.Relu6(b.Conv(rb, 4, 4, 3, name: "c2"), "clip");
        string s = b.Op("Sigmoid", "sig", [c]);
        b.Output(b.Flatten(s, 1, "flat"), "y", DType.Float32, 64);
        return b.Graph;
    }

    private static readonly Graph.Graph Float = Chain();
    private static readonly QuantizedModel Q = Quantizer.Quantize(Float, new QuantizerConfig(reduceRange: false), RandomData(Float, 4));

    [Fact]
    public void Quantize_StandaloneRelu_SharesItsInputScale()
    {
        var g = Q.Graph;
        // relu follows c1 (fused: own scale); pool and the standalone relu_b reuse relu's scale.
        var scales = new[] { "relu", "pool", "relu_b" }.Select(t => QuantizerOf(g, t).Inputs[1]).Distinct();
        Assert.Single(scales);
        Assert.Equal("c1", Producer(g, Node(g, "relu").Inputs[0]).Name);
    }

    [Fact]
    public void Quantize_UnlistedOp_StaysFloatWithReason()
    {
        var sig = Q.Manifest.Nodes.Single(n => n.Name == "sig");
        Assert.False(sig.Quantized);
        Assert.Contains("no quantizer", sig.Reason);
    }

    [Fact]
    public void Quantize_ConvClip_QAfterClipOnly()
    {
        var g = Q.Graph;
        var conv = g.Nodes.Single(n => n.Name == "c2");
        Assert.Equal("Clip", Assert.Single(Readers(g, conv.Outputs[0])).OpType);
        // The Clip's constant bounds were folded to initializers by preparation.
        var clip = Node(g, "clip");
        Assert.True(g.Initializers.ContainsKey(clip.Inputs[1]));
        Assert.Equal(0, Count(g, "Constant"));
    }

    [Fact]
    public void Quantize_PassThroughAfterFloatOp_NotQuantized()
    {
        var g = Q.Graph;
        Assert.Equal("Flatten", Producer(g, "y").OpType);
        Assert.Equal("Sigmoid", Producer(g, Producer(g, "y").Inputs[0]).OpType);
        Assert.Empty(Readers(g, "y"));
        Assert.Contains(Q.Manifest.Nodes, n => n.Name == "flat" && !n.Quantized);
    }

    [Fact]
    public void Quantize_ExcludedRelu_ProducerQuantizesItsOwnOutput()
    {
        var q = Quantizer.Quantize(Float, new QuantizerConfig(excludeNodes: ["clip"], reduceRange: false), RandomData(Float, 4));
        var conv = Node(q.Graph, "c2");
        QuantizerOf(q.Graph, conv.Outputs[0]);
        Assert.Contains(q.Manifest.Nodes, n => n.Name == "clip" && !n.Quantized && n.Reason == "excluded by name");
    }
}
