using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>Add/Mul in a transformer block: QLinearAdd form, constant operands in the activation format.</summary>
public class AddTests
{
    private static readonly Graph.Graph Float = TransformerBlock();
    private static readonly QuantizedModel Q = Quantizer.Quantize(Float, new QuantizerConfig(reduceRange: false), RandomData(Float, 4));

    [Fact]
    public void Quantize_AddWithConstantBias_BiasStoredInActivationFormat()
    {
        var g = Q.Graph;
        var dq = InputDq(g, "q", 1);  // Dense "q": MatMul then Add(bias)
        Assert.Equal(DType.UInt8, g.Initializers[dq.Inputs[0]].DType);
        Assert.Equal(0, g.Initializers[dq.Inputs[1]].Rank);
        InputDq(g, "q", 0);
        QuantizerOf(g, "q");
        Assert.True(OrtFusion.OptimizedOps(g).GetValueOrDefault("QLinearAdd") >= 6);
    }

    [Fact]
    public void Quantize_ResidualAddFollowedByRelu_OutputLeftToTheRelu()
    {
        var f = ConvNet();
        var q = Quantizer.Quantize(f, new QuantizerConfig(reduceRange: false), RandomData(f, 4));
        var add = Node(q.Graph, "residual");
        Assert.All(add.Inputs, i => Assert.Equal("DequantizeLinear", Producer(q.Graph, i).OpType));
        Assert.Equal("Relu", Assert.Single(Readers(q.Graph, add.Outputs[0])).OpType);
    }
}
