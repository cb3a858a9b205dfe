namespace LowBit.Tests.Autograd;

/// <summary>Gemm and MatMul backward against finite differences (bilinear ops: float32 rounding is the only error;
/// tolerance as in <see cref="GradCheck"/>).</summary>
public class MatMulGradTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    public void Gemm_Transposes_MatchesFiniteDifferences(long transA, long transB)
    {
        var rng = new Random(20 + (int)(2 * transA + transB));
        int m = 3, k = 4, n = 5;
        GradCheck.For("Gemm")
            .Input("a", TestTensors.Random(rng, transA != 0 ? [k, m] : [m, k]))
            .Input("b", TestTensors.Random(rng, transB != 0 ? [n, k] : [k, n]))
            .Input("c", TestTensors.Random(rng, m, n))
            .Attr("transA", transA).Attr("transB", transB).Attr("alpha", 0.7f).Attr("beta", -1.3f)
            .Run();
    }

    [Theory]
    [InlineData(new[] { 5 })]
    [InlineData(new[] { 1, 5 })]
    [InlineData(new[] { 3, 1 })]
    [InlineData(new[] { 1 })]
    public void Gemm_BroadcastC_MatchesFiniteDifferences(int[] cShape)
    {
        var rng = new Random(30 + cShape.Length * 7 + cShape[0]);
        GradCheck.For("Gemm")
            .Input("a", TestTensors.Random(rng, 3, 4)).Input("b", TestTensors.Random(rng, 5, 4)).Input("c", TestTensors.Random(rng, cShape))
            .Attr("transB", 1L).Attr("beta", 0.5f)
            .Run();
    }

    [Fact]
    public void Gemm_NoC_MatchesFiniteDifferences()
    {
        var rng = new Random(40);
        GradCheck.For("Gemm").Input("a", TestTensors.Random(rng, 2, 3)).Input("b", TestTensors.Random(rng, 3, 4)).Run();
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 4, 5 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 4, 5 })]
    [InlineData(new[] { 2, 2, 3, 4 }, new[] { 2, 2, 4, 3 })]
    [InlineData(new[] { 2, 1, 3, 4 }, new[] { 3, 4, 2 })]
    [InlineData(new[] { 3, 4 }, new[] { 2, 4, 5 })]
    [InlineData(new[] { 4 }, new[] { 2, 4, 3 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 4 }, new[] { 4 })]
    public void MatMul_BatchedAndBroadcast_MatchesFiniteDifferences(int[] aShape, int[] bShape)
    {
        var rng = new Random(50 + aShape.Sum() * 3 + bShape.Sum());
        GradCheck.For("MatMul").Input("a", TestTensors.Random(rng, aShape)).Input("b", TestTensors.Random(rng, bShape)).Run();
    }
}
