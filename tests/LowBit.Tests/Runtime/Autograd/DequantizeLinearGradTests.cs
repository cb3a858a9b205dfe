using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>DequantizeLinear backward: y = (q − z)·s is linear in the scale, so dS matches finite differences
/// (per-tensor and per-axis scales; tolerance as in <see cref="GradCheck"/>).</summary>
public class DequantizeLinearGradTests
{
    private static readonly Tensor Codes = Tensor.FromArray(new sbyte[] { -128, -3, 0, 5, 127, 64, -64, 1, 2, 3, 4, -5 }, 3, 4);

    [Fact]
    public void DequantizeLinear_PerTensorScale_MatchesFiniteDifferences() =>
        GradCheck.For("DequantizeLinear").Constant("q", Codes).Input("s", Tensor.FromArray(new[] { 0.02f }, 1))
            .Constant("z", Tensor.FromArray(new sbyte[] { 3 }, 1)).Run();

    [Fact]
    public void DequantizeLinear_PerAxisScale_MatchesFiniteDifferences() =>
        GradCheck.For("DequantizeLinear").Constant("q", Codes).Input("s", Tensor.FromArray(new[] { 0.1f, 0.02f, 0.5f }, 3))
            .Constant("z", Tensor.FromArray(new sbyte[] { 0, -2, 4 }, 3)).Attr("axis", 0L).Run();
}
