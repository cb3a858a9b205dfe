using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>View ops and Identity: dX is dY with X's shape (checked against finite differences; exact up to float32).</summary>
public class ReshapingGradTests
{
    private static Tensor X(int seed) => TestTensors.Random(new Random(seed), 2, 3, 4);

    [Fact]
    public void Reshape_MatchesFiniteDifferences() =>
        GradCheck.For("Reshape").Input("x", X(180)).Constant("shape", Tensor.FromArray(new long[] { 4, -1 }, 2)).Run();

    [Fact]
    public void Flatten_Axis2_MatchesFiniteDifferences() => GradCheck.For("Flatten").Input("x", X(181)).Attr("axis", 2L).Run();

    [Fact]
    public void Squeeze_MatchesFiniteDifferences() =>
        GradCheck.For("Squeeze").Input("x", TestTensors.Random(new Random(182), 2, 1, 3)).Constant("axes", Tensor.FromArray(new long[] { 1 }, 1)).Run();

    [Fact]
    public void Unsqueeze_MatchesFiniteDifferences() =>
        GradCheck.For("Unsqueeze").Input("x", X(183)).Constant("axes", Tensor.FromArray(new long[] { 0, 3 }, 2)).Run();

    [Fact]
    public void Identity_MatchesFiniteDifferences() => GradCheck.For("Identity").Input("x", X(184)).Run();
}
