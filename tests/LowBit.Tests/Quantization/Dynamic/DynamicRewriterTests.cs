using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Dynamic;

/// <summary>Dynamic mode: ONNX Runtime's quantize_dynamic form, structure and numerics.</summary>
public class DynamicRewriterTests
{
    [Fact]
    public void Dynamic_Mlp_MatMulIntegerChainPerGemm()
    {
        var f = Mlp();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic));
        var g = q.Graph;
        Assert.Equal(3, Count(g, "DynamicQuantizeLinear"));
        Assert.Equal(3, Count(g, "MatMulInteger"));
        Assert.Equal(3, Count(g, "Cast"));
        Assert.Equal(6, Count(g, "Mul"));
        Assert.Equal(3, Count(g, "Add"));
        Assert.Equal(0, Count(g, "Gemm"));
        var mm = Node(g, "fc1");
        Assert.Equal("MatMulInteger", mm.OpType);
        Assert.Equal([32, 64], g.Initializers[mm.Inputs[1]].Shape);  // transB folded into the stored codes
        Assert.Equal(DType.Int8, g.Initializers[mm.Inputs[1]].DType);
        Assert.Equal(0, g.Initializers[mm.Inputs[3]].Rank);  // symmetric: one scalar zero point
        Assert.Equal(3, OrtFusion.OptimizedOps(g).GetValueOrDefault("DynamicQuantizeMatMul"));
    }

    [Fact]
    public void Dynamic_ConvNet_ConvIntegerWithScalarZeroPointRunsInOrt()
    {
        var f = ConvNet();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic));
        var g = q.Graph;
        Assert.Equal(3, Count(g, "ConvInteger"));
        var conv = Node(g, "conv2");
        Assert.Equal(0, g.Initializers[conv.Inputs[3]].Rank);
        var x = RandomData(f, 1)[0];
        Assert.True(MaxAbsDiff(RunLowBit(g, x), RunOrt(g, x)) < 1e-4f);
    }

    [Fact]
    public void Dynamic_AsymmetricWeights_ConvFallsBackPerTensorMatMulKeepsPerColumn()
    {
        var f = ConvNet();
        var w = new WeightQuantConfig(FormatTable.Get("uint8"), scheme: QuantScheme.Asymmetric);
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic, w));
        var conv = Node(q.Graph, "conv2");
        Assert.Equal(0, q.Graph.Initializers[conv.Inputs[3]].Rank);
        Assert.Contains(q.Warnings, s => s.Contains("quantized per tensor"));
        var x = RandomData(f, 1)[0];
        var a = RunLowBit(q.Graph, x);
        Assert.True(MaxAbsDiff(a, RunOrt(q.Graph, x)) < 1e-4f);
        Assert.True(MaxAbsDiff(a, RunLowBit(f, x)) < 0.1f);
    }

    [Fact]
    public void Dynamic_TransformerBlock_MatchesOrtAndFloat()
    {
        var f = TransformerBlock();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic));
        Assert.Equal(6, Count(q.Graph, "MatMulInteger"));
        Assert.Equal(2, Count(q.Graph, "MatMul"));  // activation × activation stays float
        var x = RandomData(f, 1)[0];
        var a = RunLowBit(q.Graph, x);
        // Same integer math on both sides: only float rounding of the final scale multiply differs.
        Assert.True(MaxAbsDiff(a, RunOrt(q.Graph, x)) < 1e-4f);
        Assert.True(MaxAbsDiff(a, RunLowBit(f, x)) < 0.1f * MaxAbs(a));
    }
}
