using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>Structure of quantized Gemm (Mlp: three Linear layers, transB = 1, the first two followed by Relu).</summary>
public class GemmTests
{
    private static readonly Graph.Graph Float = Mlp();
    private static readonly QuantizedModel Q = Quantizer.Quantize(Float, new QuantizerConfig(reduceRange: false), RandomData(Float, 4));

    [Fact]
    public void Quantize_Gemm_WeightPerOutputRowAxis0AndInt32Bias()
    {
        var g = Q.Graph;
        var w = InputDq(g, "fc1", 1);
        Assert.Equal(0L, w.Get<long?>("axis"));
        Assert.Equal(64, g.Initializers[w.Inputs[1]].Length);
        var b = InputDq(g, "fc1", 2);
        Assert.Equal(DType.Int32, g.Initializers[b.Inputs[0]].DType);
    }

    [Fact]
    public void Quantize_Mlp_GraphOutputStaysFloatAndOrtRunsQGemm()
    {
        var g = Q.Graph;
        Assert.Equal("fc3", Producer(g, "logits").Name);
        Assert.Empty(Readers(g, "logits"));
        Assert.Equal(3, Count(g, "QuantizeLinear"));  // x, relu1, relu2
        var ops = OrtFusion.OptimizedOps(g);
        Assert.Equal(3, ops.GetValueOrDefault("QGemm"));
        Assert.Equal(1, ops.GetValueOrDefault("QuantizeLinear"));
    }

    [Fact]
    public void Quantize_QuantizeGraphOutputs_AddsQdqKeepingOutputName()
    {
        var q = Quantizer.Quantize(Float, new QuantizerConfig(quantizeGraphOutputs: true, reduceRange: false), RandomData(Float, 4));
        var g = q.Graph;
        var dq = Producer(g, "logits");
        Assert.Equal("DequantizeLinear", dq.OpType);
        Assert.Equal("QuantizeLinear", Producer(g, dq.Inputs[0]).OpType);
        Assert.Equal(4, Count(g, "QuantizeLinear"));
    }
}
