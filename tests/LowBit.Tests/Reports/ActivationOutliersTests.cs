using LowBit.Nn;
using LowBit.Nn.Zoo;
using LowBit.Reports;
using LowBit.Tensors;

namespace LowBit.Tests.Reports;

public class ActivationOutliersTests
{
    /// <summary>y = x + 3x: a residual Add whose branch (3x) is read only by it.</summary>
    private static LowBit.Graph.Graph Residual()
    {
        var b = new GraphBuilder("res");
        string x = b.Input("x", DType.Float32, 4);
        string a = b.Mul(x, b.Scalar(3f), "branch");
        b.Output(b.Add(x, a, "sum"), "y", DType.Float32, 4);
        return b.Graph;
    }

    [Fact]
    public void Measure_TinyResidual_MaxAbsAndKurtosisMatchReference()
    {
        var g = Residual();
        float[] first = [1, -2, 0.5f, 0, 0.25f, 1, -1, 2], second = [0, 0, 0, -9, 0, 0, 0, 0];
        var batches = new[] { first, second }.Select(d => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(d, 2, 4) });
        var r = ActivationOutliers.Measure(g, batches);
        Assert.Equal(4, r.Samples);
        var branch = Assert.Single(r.Tensors, t => t.Role == OutlierRole.Ffn);
        var sum = Assert.Single(r.Tensors, t => t.Role == OutlierRole.Residual);
        Assert.Equal("branch", branch.Tensor);
        Assert.Equal(27.0, branch.MaxAbs);
        Assert.Equal(36.0, sum.MaxAbs);
        Assert.Equal(36.0, r.MaxAbs);
        // Kurtosis is scale-free: both equal the kurtosis of x, computed here in double.
        var all = first.Concat(second).Select(v => (double)v).ToArray();
        double mu = all.Average(), m2 = all.Sum(v => (v - mu) * (v - mu)), m4 = all.Sum(v => Math.Pow(v - mu, 4));
        double k = all.Length * m4 / (m2 * m2);
        Assert.Equal(k, branch.Kurtosis, 1e-9);
        Assert.Equal(k, sum.Kurtosis, 1e-9);
        Assert.Equal(16, branch.Elements);
    }

    [Fact]
    public void Find_VitTiny_NamesFfnAttentionAndResidualOfEveryBlock()
    {
        var found = OutlierTensors.Find(Vit.Build(new VitOptions(depth: 2, attention: AttentionKind.Gated)));
        Assert.Equal(8, found.Count);
        Assert.Contains(new OutlierTensor("block0.mlp.fc2", OutlierRole.Ffn), found);
        Assert.Contains(new OutlierTensor("block1.attn.proj", OutlierRole.Attention), found);
        Assert.Contains(new OutlierTensor("block1.add2", OutlierRole.Residual), found);
    }

    [Fact]
    public void Measure_UnknownTensor_ThrowsNamingIt()
    {
        var e = Assert.Throws<LowBitException>(() => ActivationOutliers.Measure(Residual(), [], [new OutlierTensor("nope", OutlierRole.Ffn)]));
        Assert.Contains("nope", e.Message);
    }
}
