using LowBit.Nn.Optim;
using LowBit.Tensors;

namespace LowBit.Tests.Nn.Optim;

public class GradientClippingTests
{
    private static Dictionary<string, Tensor> Grads() => new()
    {
        ["a"] = Tensor.FromArray(new[] { 3f }, 1),
        ["b"] = Tensor.FromArray(new[] { 0f, 4f }, 2),
    };

    [Fact]
    public void ClipByGlobalNorm_AboveMax_ScalesAllToMaxNorm()
    {
        var grads = Grads();
        var (norm, clipped) = GradientClipping.ClipByGlobalNorm(grads, 1.0);
        Assert.Equal(5.0, norm, 12);
        Assert.Equal(0.6f, clipped["a"].ToFloatArray()[0], 1e-6f);   // 3 / (5 + 1e-6)
        Assert.Equal(0.8f, clipped["b"].ToFloatArray()[1], 1e-6f);
        Assert.Equal(1.0, GradientClipping.GlobalNorm(clipped), 1e-6);
        Assert.Equal(3f, grads["a"].ToFloatArray()[0]);             // inputs untouched
    }

    [Fact]
    public void ClipByGlobalNorm_BelowMax_ReturnsSameTensors()
    {
        var grads = Grads();
        var (norm, clipped) = GradientClipping.ClipByGlobalNorm(grads, 10.0);
        Assert.Equal(5.0, norm, 12);
        Assert.Same(grads["a"], clipped["a"]);
        Assert.Same(grads["b"], clipped["b"]);
    }

    [Fact]
    public void ClipByGlobalNorm_NonFinite_ReportsNormAndLeavesGradients()
    {
        var grads = Grads();
        grads["a"].AsSpan<float>()[0] = float.NaN;
        var (norm, clipped) = GradientClipping.ClipByGlobalNorm(grads, 1.0);
        Assert.True(double.IsNaN(norm));
        Assert.Same(grads["b"], clipped["b"]);
    }
}
