using LowBit.Graph;
using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>Structure of quantized Conv (ConvNet: conv1 with folded BatchNorm + Relu, conv2 + Relu, conv3 + residual Add).</summary>
public class ConvTests
{
    private static readonly Graph.Graph Float = ConvNet();
    private static readonly QuantizedModel Q = Quantizer.Quantize(Float, new QuantizerConfig(reduceRange: false), RandomData(Float, 4));

    [Fact]
    public void Quantize_ConvNet_QdqCountsMatchMarks()
    {
        var g = Q.Graph;
        // Activations: x, relu1, pool, relu2, conv3, relu3, concat, gap, flatten (9 Q, 9 DQ);
        // weights: 3 conv + 1 fc; biases: 3 conv + 1 fc (DQ only).
        Assert.Equal(9, Count(g, "QuantizeLinear"));
        Assert.Equal(9 + 4 + 4, Count(g, "DequantizeLinear"));
        Assert.Equal(3, Count(g, "Conv"));
        Assert.Equal(0, Count(g, "BatchNormalization"));
    }

    [Fact]
    public void Quantize_ConvRelu_NoQdqBetweenConvAndRelu()
    {
        var g = Q.Graph;
        foreach (var (conv, relu) in new[] { ("conv1", "relu1"), ("conv2", "relu2") })
        {
            var c = g.Nodes.Single(n => n.OpType == "Conv" && n.Name == conv);
            var readers = Readers(g, c.Outputs[0]);
            Assert.Equal(relu, Assert.Single(readers).Name);
            QuantizerOf(g, readers[0].Outputs[0]);  // a Q right after the Relu
        }
    }

    [Fact]
    public void Quantize_ConvWeights_Int8PerChannelAxis0()
    {
        var g = Q.Graph;
        var dq = InputDq(g, "conv2", 1);
        var codes = g.Initializers[dq.Inputs[0]];
        Assert.Equal(DType.Int8, codes.DType);
        Assert.Equal([8, 8, 3, 3], codes.Shape);
        Assert.Equal(8, g.Initializers[dq.Inputs[1]].Length);
        Assert.Equal(0L, dq.Get<long?>("axis"));
        Assert.All(g.Initializers[dq.Inputs[2]].ToInt64Array(), z => Assert.Equal(0, z));
        Assert.False(g.Initializers.ContainsKey("conv2.weight"));  // the float weight is gone
    }

    [Fact]
    public void Quantize_ConvBias_Int32WithScaleInputTimesWeight()
    {
        var g = Q.Graph;
        var conv = Node(g, "conv2");
        var bias = InputDq(g, "conv2", 2);
        var w = InputDq(g, "conv2", 1);
        var x = Producer(g, conv.Inputs[0]);
        Assert.Equal(DType.Int32, g.Initializers[bias.Inputs[0]].DType);
        var sb = g.Initializers[bias.Inputs[1]].AsReadOnlySpan<float>();
        var sw = g.Initializers[w.Inputs[1]].AsReadOnlySpan<float>();
        float sx = g.Initializers[x.Inputs[1]].AsReadOnlySpan<float>()[0];
        for (int c = 0; c < 8; c++) Assert.Equal(sx * sw[c], sb[c]);
        Assert.All(g.Initializers[bias.Inputs[2]].ToInt64Array(), z => Assert.Equal(0, z));
        Assert.Equal(0L, bias.Get<long?>("axis"));
    }

    [Fact]
    public void Quantize_ConvNet_OrtFusesEveryConvAndAdd()
    {
        var ops = OrtFusion.OptimizedOps(Q.Graph);
        Assert.Equal(3, ops.GetValueOrDefault("QLinearConv"));
        Assert.Equal(1, ops.GetValueOrDefault("QLinearAdd"));
        Assert.Equal(1, ops.GetValueOrDefault("QLinearConcat"));
        Assert.Equal(1, ops.GetValueOrDefault("QGemm"));
        Assert.False(ops.ContainsKey("Conv"));
        Assert.False(ops.ContainsKey("Relu"));  // removed into the Q after each pair
    }

    [Fact]
    public void Quantize_ConvNet_CallerGraphUnchanged()
    {
        var fresh = ConvNet();
        Assert.Equal(fresh.Nodes.Select(n => n.ToString()), Float.Nodes.Select(n => n.ToString()));
        Assert.Equal(fresh.Initializers.Keys.Order(), Float.Initializers.Keys.Order());
        Assert.Equal(1, Count(Float, "BatchNormalization"));
    }

    [Fact]
    public void Quantize_WeightBytes_ShrinkAbout4x()
    {
        // Weights 4 B → 1 B; biases stay 4 B; scales add 4 B per channel. convnet: 6376 B float.
        long before = Bytes(Float), after = Bytes(Q.Graph);
        Assert.InRange((double)before / after, 2.5, 4.0);
        long weightsBefore = Float.Initializers.Where(kv => kv.Key.EndsWith("weight")).Sum(kv => (long)kv.Value.Length * 4);
        long weightsAfter = Q.Graph.Initializers.Where(kv => kv.Key.Contains("weight") && kv.Key.EndsWith("_quantized")).Sum(kv => (long)kv.Value.Length);
        Assert.Equal(weightsBefore, 4 * weightsAfter);
    }
}
