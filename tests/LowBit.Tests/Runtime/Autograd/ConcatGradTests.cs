using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>Concat and Split backward against finite differences, including a Split output that does not reach the loss.</summary>
public class ConcatGradTests
{
    [Fact]
    public void Concat_ThreeInputsAxis1_MatchesFiniteDifferences()
    {
        var rng = new Random(200);
        GradCheck.For("Concat").Input("a", TestTensors.Random(rng, 2, 1, 3)).Input("b", TestTensors.Random(rng, 2, 3, 3))
            .Input("c", TestTensors.Random(rng, 2, 2, 3)).Attr("axis", 1L).Run();
    }

    [Fact]
    public void Concat_NegativeAxisWithConstant_MatchesFiniteDifferences()
    {
        var rng = new Random(201);
        GradCheck.For("Concat").Input("a", TestTensors.Random(rng, 2, 3)).Constant("b", TestTensors.Random(rng, 2, 2)).Attr("axis", -1L).Run();
    }

    [Fact]
    public void Split_SizesInput_MatchesFiniteDifferences() =>
        GradCheck.For("Split", opset: 13).Input("x", TestTensors.Random(new Random(202), 2, 6)).Constant("split", Tensor.FromArray(new long[] { 1, 3, 2 }, 3))
            .Attr("axis", 1L).Outputs(3).Run();

    /// <summary>The last output is produced but unused: its part of dX must be zero.</summary>
    [Fact]
    public void Split_UnusedOutput_MatchesFiniteDifferences() =>
        GradCheck.For("Split", opset: 18).Input("x", TestTensors.Random(new Random(203), 6, 2)).Attr("num_outputs", 3L).Outputs(2, more: 1).Run();
}
