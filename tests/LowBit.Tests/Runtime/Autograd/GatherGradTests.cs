using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>Gather backward (scatter-add; repeated indices accumulate) against finite differences.</summary>
public class GatherGradTests
{
    [Fact]
    public void Gather_EmbeddingRepeatedIds_MatchesFiniteDifferences() =>
        GradCheck.For("Gather").Input("table", TestTensors.Random(new Random(220), 5, 3))
            .Constant("ids", Tensor.FromArray(new long[] { 1, 4, 1, 0, -1, 2 }, 2, 3)).Run();

    [Fact]
    public void Gather_Axis1_MatchesFiniteDifferences() =>
        GradCheck.For("Gather").Input("x", TestTensors.Random(new Random(221), 2, 4, 3))
            .Constant("ids", Tensor.FromArray(new long[] { 3, 3, 0 }, 3)).Attr("axis", 1L).Run();
}
