namespace LowBit.Tests.Autograd;

/// <summary>Softmax and LogSoftmax backward against finite differences over axis variants: opset 13 single axis
/// (last, middle, first, negative) and the opset 11 2-D coercion (tolerance as in <see cref="GradCheck"/>).</summary>
public class SoftmaxGradTests
{
    [Theory]
    [InlineData("Softmax", -1L)]
    [InlineData("Softmax", 1L)]
    [InlineData("Softmax", 0L)]
    [InlineData("LogSoftmax", -1L)]
    [InlineData("LogSoftmax", 1L)]
    [InlineData("LogSoftmax", -3L)]
    public void Softmax_Axis_MatchesFiniteDifferences(string op, long axis) =>
        GradCheck.For(op, opset: 13).Input("x", TestTensors.Random(new Random(110 + (int)axis + op.Length), 2, 3, 4)).Attr("axis", axis).Run();

    /// <summary>Opset 11: [2,3,4] with axis 1 is normalized as [2, 12] rows, not along dim 1 alone.</summary>
    [Theory]
    [InlineData("Softmax")]
    [InlineData("LogSoftmax")]
    public void Softmax_LegacyCoercion_MatchesFiniteDifferences(string op) =>
        GradCheck.For(op, opset: 11).Input("x", TestTensors.Random(new Random(120 + op.Length), 2, 3, 4)).Attr("axis", 1L).Run();
}
