using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>ReduceSum / ReduceMean backward (broadcast back, ÷count for the mean) against finite differences.</summary>
public class ReductionsGradTests
{
    [Theory]
    [InlineData("ReduceSum", 0L)]
    [InlineData("ReduceSum", 1L)]
    [InlineData("ReduceMean", 0L)]
    [InlineData("ReduceMean", 1L)]
    public void Reduce_AxesInput_MatchesFiniteDifferences(string op, long keepdims) =>
        GradCheck.For(op, opset: 18).Input("x", TestTensors.Random(new Random(250 + (int)keepdims + op.Length), 2, 3, 4))
            .Constant("axes", Tensor.FromArray(new long[] { 0, -1 }, 2)).Attr("keepdims", keepdims).Run();

    [Theory]
    [InlineData("ReduceSum")]
    [InlineData("ReduceMean")]
    public void Reduce_LegacyAllAxes_MatchesFiniteDifferences(string op) =>
        GradCheck.For(op, opset: 11).Input("x", TestTensors.Random(new Random(260 + op.Length), 3, 4)).Attr("keepdims", 0L).Run();

    [Fact]
    public void ReduceMean_NoopWithEmptyAxes_MatchesFiniteDifferences() =>
        GradCheck.For("ReduceMean", opset: 18).Input("x", TestTensors.Random(new Random(270), 3, 4)).Attr("noop_with_empty_axes", 1L).Run();
}
