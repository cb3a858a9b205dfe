using ModelGraph = LowBit.Graph.Graph;
using LowBit.Graph;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>
/// BatchNormalization in training mode: the batch-statistics forward, the in-place running-statistic update, and the
/// backward (dX through the batch mean and variance, dγ, dβ) against finite differences (tolerance as in
/// <see cref="GradCheck"/>: the batch variance of these inputs is ≈ 1, so 1/σ is smooth over ±ε).
/// </summary>
public class BatchNormGradTests
{
    private static GradCheck Bn(int seed, long opset, params int[] shape)
    {
        var rng = new Random(seed);
        int c = shape[1];
        return GradCheck.For("BatchNormalization", opset).Input("x", TestTensors.Random(rng, shape))
            .Input("scale", TestTensors.Random(rng, c)).Input("bias", TestTensors.Random(rng, c))
            .Constant("mean", TestTensors.Random(rng, c)).Constant("var", TestTensors.Uniform(rng, 0.5, 2, c))
            .Attr("epsilon", 1e-3f);
    }

    [Fact]
    public void BatchNorm_TrainingNchw_MatchesFiniteDifferences() => Bn(160, 15, 4, 3, 3, 3).Run();

    [Fact]
    public void BatchNorm_TrainingPlaneOfOne_MatchesFiniteDifferences() => Bn(161, 15, 6, 4).Run();

    [Fact]
    public void BatchNorm_TrainingLongPlane_MatchesFiniteDifferences() => Bn(162, 15, 2, 2, 19).Run();

    [Fact]
    public void BatchNorm_TrainingOpset9_MatchesFiniteDifferences() => Bn(163, 9, 3, 2, 2, 3).Run();

    [Fact]
    public void BatchNorm_TrainingLegacyOpset7_MatchesFiniteDifferences() => Bn(164, 7, 3, 2, 4).Run();

    /// <summary>One training forward: the output uses the biased batch variance; the running mean becomes
    /// m·old + (1 − m)·μ_B and the running variance m·old + (1 − m)·σ²_B·n/(n − 1) (unbiased, as PyTorch), in place.
    /// Reference in double; float32 statistics agree to ~1e-6 relative.</summary>
    [Fact]
    public void BatchNorm_TrainingForward_UpdatesRunningStatisticsInPlace()
    {
        var rng = new Random(170);
        int n = 4, c = 3, plane = 5;
        var x = TestTensors.Random(rng, n, c, plane);
        float[] mean0 = [0.5f, -1f, 0f], var0 = [1f, 2f, 0.5f], gamma = [1f, 2f, -1f], beta = [0f, 1f, 0.5f];
        var g = new ModelGraph();
        g.Opsets[""] = 15;
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, n, c, plane));
        g.Initializers["scale"] = Tensor.FromArray(gamma, c);
        g.Initializers["bias"] = Tensor.FromArray(beta, c);
        g.Initializers["mean"] = Tensor.FromArray((float[])mean0.Clone(), c);
        g.Initializers["var"] = Tensor.FromArray((float[])var0.Clone(), c);
        g.Add("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"]).With("momentum", 0.8f).With("epsilon", 1e-5f);
        g.Outputs.Add(new ValueInfo("y", DType.Float32, null));
        var y = new TrainingSession(g).Forward(new Dictionary<string, Tensor> { ["x"] = x })["y"];
        var xs = x.ToFloatArray();
        for (int ch = 0; ch < c; ch++)
        {
            var v = Enumerable.Range(0, n * plane).Select(k => (double)xs[(k / plane * c + ch) * plane + k % plane]).ToArray();
            double mu = v.Average(), biased = v.Select(e => (e - mu) * (e - mu)).Sum() / v.Length;
            double unbiased = biased * v.Length / (v.Length - 1);
            Assert.Equal(0.8 * mean0[ch] + 0.2 * mu, g.Initializers["mean"].GetDouble(ch), 5);
            Assert.Equal(0.8 * var0[ch] + 0.2 * unbiased, g.Initializers["var"].GetDouble(ch), 5);
            for (int k = 0; k < v.Length; k++)
            {
                double expected = (v[k] - mu) / Math.Sqrt(biased + 1e-5) * gamma[ch] + beta[ch];
                Assert.Equal(expected, y.GetDouble((k / plane * c + ch) * plane + k % plane), 4);
            }
        }
    }

    /// <summary>Without training the same graph normalizes with the running statistics and leaves them alone.</summary>
    [Fact]
    public void BatchNorm_InferenceForward_KeepsRunningStatistics()
    {
        var g = new ModelGraph();
        g.Opsets[""] = 15;
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 2, 1, 2));
        g.Initializers["scale"] = Tensor.FromArray(new[] { 1f }, 1);
        g.Initializers["bias"] = Tensor.FromArray(new[] { 0f }, 1);
        g.Initializers["mean"] = Tensor.FromArray(new[] { 1f }, 1);
        g.Initializers["var"] = Tensor.FromArray(new[] { 4f }, 1);
        g.Add("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"]).With("epsilon", 0f);
        g.Outputs.Add(new ValueInfo("y", DType.Float32, null));
        var y = new TrainingSession(g).Forward(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(new[] { 1f, 3f, 5f, 7f }, 2, 1, 2) }, training: false)["y"];
        Assert.Equal(new[] { 0f, 1f, 2f, 3f }, y.ToFloatArray());
        Assert.Equal(1f, g.Initializers["mean"].ToFloatArray()[0]);
        Assert.Equal(4f, g.Initializers["var"].ToFloatArray()[0]);
    }
}
