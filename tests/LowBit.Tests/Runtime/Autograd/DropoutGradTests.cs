using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>Dropout backward in training (the saved mask and 1/(1 − p) scale) against finite differences; every
/// forward uses the same session seed, hence the same mask.</summary>
public class DropoutGradTests
{
    [Fact]
    public void Dropout_Training_MatchesFiniteDifferences()
    {
        var grads = GradCheck.For("Dropout").Input("x", TestTensors.Random(new Random(230), 4, 10))
            .Constant("ratio", Tensor.Scalar(0.5f)).Outputs(1, more: 1).Run();
        var g = grads["x"].ToFloatArray();
        Assert.Contains(g, v => v == 0f);
        Assert.Contains(g, v => v != 0f);
    }

    [Fact]
    public void Dropout_RatioZero_PassesGradient() =>
        GradCheck.For("Dropout").Input("x", TestTensors.Random(new Random(231), 3, 4)).Constant("ratio", Tensor.Scalar(0f)).Run();
}
