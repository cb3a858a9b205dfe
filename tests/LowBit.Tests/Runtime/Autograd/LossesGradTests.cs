using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss backward against finite differences (tolerance as in
/// <see cref="GradCheck"/>): every reduction, class weights, an ignore_index that some labels hit, and the log_prob
/// output entering the loss.</summary>
public class LossesGradTests
{
    /// <summary>Labels in [0, 4) over [2, 3], with −1 (the ignore_index) at positions 1 and 4.</summary>
    private static Tensor Labels() => Tensor.FromArray(new long[] { 0, -1, 3, 2, -1, 1 }, 2, 3);

    private static Tensor Weights() => Tensor.FromArray(new[] { 0.5f, 2f, 1f, 1.5f }, 4);

    [Theory]
    [InlineData("none", 1)]
    [InlineData("sum", 1)]
    [InlineData("mean", 1)]
    [InlineData("mean", 2)]
    [InlineData("none", 2)]
    public void SoftmaxCrossEntropyLoss_WeightsIgnoreIndex_MatchesFiniteDifferences(string reduction, int outputs) =>
        GradCheck.For("SoftmaxCrossEntropyLoss", 13)
            .Input("x", TestTensors.Random(new Random(200 + outputs), 2, 4, 3)).Constant("t", Labels()).Constant("w", Weights())
            .Attr("reduction", reduction).Attr("ignore_index", -1L).Outputs(outputs).Run();

    [Theory]
    [InlineData("none")]
    [InlineData("mean")]
    public void NegativeLogLikelihoodLoss_Weights_MatchesFiniteDifferences(string reduction) =>
        GradCheck.For("NegativeLogLikelihoodLoss", 13)
            .Input("x", TestTensors.Random(new Random(210), 2, 4, 3)).Constant("t", Labels()).Constant("w", Weights())
            .Attr("reduction", reduction).Attr("ignore_index", -1L).Run();
}
