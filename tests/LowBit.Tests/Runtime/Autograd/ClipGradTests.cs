using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>Clip backward (ReLU6 = Clip(0, 6) included) against finite differences, inputs at least 0.05 from the
/// bounds (tolerance as in <see cref="GradCheck"/>).</summary>
public class ClipGradTests
{
    [Fact]
    public void Clip_Relu6Constants_MatchesFiniteDifferences() =>
        GradCheck.For("Clip").Input("x", TestTensors.Nudge(TestTensors.Uniform(new Random(100), -2, 8, 4, 5), [0, 6], 0.05))
            .Constant("lo", Tensor.Scalar(0f)).Constant("hi", Tensor.Scalar(6f)).Run();

    [Fact]
    public void Clip_BoundsAsInputs_MatchesFiniteDifferences() =>
        GradCheck.For("Clip").Input("x", TestTensors.Avoiding(new Random(101), 1.5, [-1, 1], 0.05, 3, 5))
            .Input("lo", Tensor.Scalar(-1f)).Input("hi", Tensor.Scalar(1f)).Run();

    [Fact]
    public void Clip_OnlyMax_MatchesFiniteDifferences() =>
        GradCheck.For("Clip").Input("x", TestTensors.Avoiding(new Random(102), 1.5, [0.5], 0.05, 3, 5)).Omitted().Input("hi", Tensor.Scalar(0.5f)).Run();

    [Fact]
    public void Clip_LegacyAttributes_MatchesFiniteDifferences() =>
        GradCheck.For("Clip", opset: 6).Input("x", TestTensors.Avoiding(new Random(103), 1.5, [-0.5, 1], 0.05, 3, 5))
            .Attr("min", -0.5f).Attr("max", 1f).Run();
}
