using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>Structure of quantized MatMul, Add, Mul and pass-through ops in a transformer block.</summary>
public class MatMulTests
{
    private static readonly Graph.Graph Float = TransformerBlock();
    private static readonly QuantizedModel Q = Quantizer.Quantize(Float, new QuantizerConfig(reduceRange: false), RandomData(Float, 4));

    [Fact]
    public void Quantize_MatMulWeight_PerColumnAxis1Int8()
    {
        var g = Q.Graph;
        var w = InputDq(g, "q.matmul", 1);
        Assert.Equal(1L, w.Get<long?>("axis"));
        Assert.Equal(DType.Int8, g.Initializers[w.Inputs[0]].DType);
        Assert.Equal(32, g.Initializers[w.Inputs[1]].Length);
    }

    [Fact]
    public void Quantize_ActivationTimesActivation_BothInputsQuantized()
    {
        var g = Q.Graph;
        InputDq(g, "attn", 0);
        InputDq(g, "attn", 1);
        InputDq(g, "scores", 0);
        InputDq(g, "scores", 1);
    }

    [Fact]
    public void Quantize_SoftmaxKeptFloat_ItsInputIsNotQuantized()
    {
        var g = Q.Graph;
        var softmax = g.Nodes.Single(n => n.OpType == "Softmax");
        Assert.Equal("Mul", Producer(g, softmax.Inputs[0]).OpType);  // no DQ in front of Softmax
        QuantizerOf(g, softmax.Outputs[0]);  // its output feeds the attention MatMul, which quantizes it
        Assert.False(OrtFusion.OptimizedOps(g).ContainsKey("QLinearSoftmax"));
    }

    [Fact]
    public void Quantize_SoftmaxAsked_QuantizedOnBothSides()
    {
        var q = Quantizer.Quantize(Float, new QuantizerConfig(quantizeOpTypes: ["Softmax"], reduceRange: false), RandomData(Float, 4));
        var softmax = q.Graph.Nodes.Single(n => n.OpType == "Softmax");
        Assert.Equal("DequantizeLinear", Producer(q.Graph, softmax.Inputs[0]).OpType);
        Assert.Contains("softmax", q.Manifest.Nodes.Where(n => n.Quantized).Select(n => n.Name));
    }

    [Fact]
    public void Quantize_LayerNormAndGelu_StayFloat()
    {
        var nodes = Q.Manifest.Nodes.ToDictionary(n => n.Name);
        Assert.False(nodes["ln1"].Quantized);
        Assert.Contains("stays float unless the config lists it", nodes["ln1"].Reason);
        Assert.False(nodes["gelu"].Quantized);
    }
}
