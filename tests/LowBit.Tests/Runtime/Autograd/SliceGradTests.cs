using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>Slice backward (scatter into zeros through the forward's strided view) against finite differences.</summary>
public class SliceGradTests
{
    private static Tensor L(params long[] v) => Tensor.FromArray(v, v.Length);

    [Fact]
    public void Slice_AxesAndSteps_MatchesFiniteDifferences() =>
        GradCheck.For("Slice").Input("x", TestTensors.Random(new Random(210), 3, 5, 4))
            .Constant("starts", L(1, 0)).Constant("ends", L(5, 3)).Constant("axes", L(1, 2)).Constant("steps", L(2, 1)).Run();

    [Fact]
    public void Slice_NegativeStep_MatchesFiniteDifferences() =>
        GradCheck.For("Slice").Input("x", TestTensors.Random(new Random(211), 2, 7))
            .Constant("starts", L(-1)).Constant("ends", L(0)).Constant("axes", L(1)).Constant("steps", L(-2)).Run();

    [Fact]
    public void Slice_LegacyAttributes_MatchesFiniteDifferences() =>
        GradCheck.For("Slice", opset: 9).Input("x", TestTensors.Random(new Random(212), 4, 3))
            .Attr("starts", new long[] { 1 }).Attr("ends", new long[] { 100 }).Attr("axes", new long[] { 0 }).Run();
}
