using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>Activation backward against finite differences; inputs keep 0.05 (5ε) from every kink so the central
/// difference never straddles one (tolerance as in <see cref="GradCheck"/>).</summary>
public class ActivationsGradTests
{
    private static Tensor Input(int seed, double sigma, params double[] kinks) => TestTensors.Avoiding(new Random(seed), sigma, kinks, 0.05, 3, 4, 5);

    [Fact]
    public void Relu_AwayFromZero_MatchesFiniteDifferences() => GradCheck.For("Relu").Input("x", Input(70, 1, 0)).Run();

    [Fact]
    public void LeakyRelu_Alpha_MatchesFiniteDifferences() =>
        GradCheck.For("LeakyRelu").Input("x", Input(71, 1, 0)).Attr("alpha", 0.2f).Run();

    [Fact]
    public void HardSigmoid_AlphaBeta_MatchesFiniteDifferences() =>
        GradCheck.For("HardSigmoid").Input("x", Input(72, 3, -2.0, 3.0)).Attr("alpha", 0.25f).Attr("beta", 0.5f).Run();

    [Fact]
    public void HardSwish_AcrossAllPieces_MatchesFiniteDifferences() =>
        GradCheck.For("HardSwish").Input("x", Input(73, 3, -3, 3)).Run();

    [Theory]
    [InlineData("none")]
    [InlineData("tanh")]
    public void Gelu_Approximations_MatchesFiniteDifferences(string approximate) =>
        GradCheck.For("Gelu").Input("x", Input(74, 2)).Attr("approximate", approximate).Run();

    /// <summary>The tanh form's derivative differs from the exact one by up to ~1e-3 (its error vs erf): the check
    /// must see which one ran, so compare the two analytic gradients.</summary>
    [Fact]
    public void Gelu_TanhAndExact_GradientsDiffer()
    {
        var x = Input(75, 2);
        var exact = GradCheck.For("Gelu").Input("x", x).Run()["x"].ToFloatArray();
        var tanh = GradCheck.For("Gelu").Input("x", x).Attr("approximate", "tanh").Run()["x"].ToFloatArray();
        Assert.True(exact.Zip(tanh).Max(p => Math.Abs(p.First - p.Second)) > 1e-5);
    }
}
