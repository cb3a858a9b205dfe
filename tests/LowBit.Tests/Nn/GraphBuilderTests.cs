using LowBit.Nn;
using LowBit.Tensors;

namespace LowBit.Tests.Nn;

public class GraphBuilderTests
{
    [Fact]
    public void Scope_PrefixesNodeValueAndWeightNames()
    {
        var b = new GraphBuilder("t");
        string x = b.Input("input", DType.Float32, 3, 8, 8);
        string y;
        using (b.Scope("stage1"))
        using (b.Scope("block0"))
            y = b.Conv(x, 3, 4, 3, name: "conv1");
        Assert.Equal("stage1.block0.conv1", y);
        Assert.Equal("stage1.block0.conv1", b.Graph.Nodes.Single().Name);
        Assert.Equal(["stage1.block0.conv1.weight", "stage1.block0.conv1.bias"], b.Graph.Initializers.Keys);
    }

    [Fact]
    public void Op_RepeatedName_GetsNumberedSuffix()
    {
        var b = new GraphBuilder("t");
        string x = b.Input("x", DType.Float32, 4);
        string a = b.Relu(x), c = b.Relu(a), d = b.Relu(c);
        Assert.Equal(["relu", "relu_1", "relu_2"], new[] { a, c, d });
    }

    [Fact]
    public void Constant_SameValueShared()
    {
        var b = new GraphBuilder("t");
        string x = b.Input("x", DType.Float32, 4);
        b.Relu6(b.Relu6(x));
        Assert.Equal(2, b.Graph.Nodes.Count(n => n.OpType == "Constant"));
        Assert.Empty(b.Graph.Initializers);
    }

    [Fact]
    public void Output_RenamesProducerAndDeclaresSymbolicBatch()
    {
        var b = new GraphBuilder("t");
        string x = b.Input("x", DType.Float32, 4);
        string y = b.Output(b.Relu(x), "y", DType.Float32, 4);
        Assert.Equal("y", y);
        Assert.Equal("y", b.Graph.Nodes.Single().Outputs[0]);
        Assert.Equal("[N,4]", b.Graph.Outputs.Single().ShapeString);
    }

    [Fact]
    public void KaimingNormal_StdIsSqrtTwoOverFanIn()
    {
        // 64·64·9 = 36,864 samples: the sample std of N(0, σ²) is within 2 % of σ with overwhelming probability (SE ≈ 0.4 %).
        var b = new GraphBuilder("t", seed: 5);
        string x = b.Input("x", DType.Float32, 64, 8, 8);
        b.Conv(x, 64, 64, 3, name: "c");
        var w = b.Graph.Initializers["c.weight"].ToFloatArray();
        double mean = w.Average(v => (double)v), std = Math.Sqrt(w.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(std / Math.Sqrt(2.0 / (64 * 9)), 0.98, 1.02);
        Assert.InRange(mean, -0.003, 0.003);
        Assert.All(b.Graph.Initializers["c.bias"].ToFloatArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TruncatedNormal_WithinTwoSigma()
    {
        var b = new GraphBuilder("t", seed: 1);
        var w = b.Graph.Initializers[b.TruncatedNormal("", "w", [100, 100], 0.02)].ToFloatArray();
        Assert.All(w, v => Assert.InRange(v, -0.04f, 0.04f));
        double std = Math.Sqrt(w.Average(v => (double)v * v));
        // A N(0,1) truncated at ±2 has std 0.8796; 10,000 samples keep the estimate within 3 %.
        Assert.InRange(std / (0.02 * 0.8796), 0.97, 1.03);
    }

    [Fact]
    public void BatchNorm_InitializesIdentityStatistics()
    {
        var b = new GraphBuilder("t");
        b.BatchNorm(b.Input("x", DType.Float32, 3, 2, 2), 3);
        var i = b.Graph.Initializers;
        Assert.Equal([1f, 1f, 1f], i["bn.scale"].ToFloatArray());
        Assert.Equal([0f, 0f, 0f], i["bn.bias"].ToFloatArray());
        Assert.Equal([0f, 0f, 0f], i["bn.running_mean"].ToFloatArray());
        Assert.Equal([1f, 1f, 1f], i["bn.running_var"].ToFloatArray());
    }
}
