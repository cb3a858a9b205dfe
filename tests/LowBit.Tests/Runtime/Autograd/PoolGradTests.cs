namespace LowBit.Tests.Autograd;

/// <summary>Pooling backward against finite differences. Max-pool inputs are distinct values 0.05 apart (5ε), so every
/// window has a unique maximum that ±ε cannot change; average pooling is linear (tolerance as in <see cref="GradCheck"/>).</summary>
public class PoolGradTests
{
    [Fact]
    public void MaxPool_2x2Stride2_MatchesFiniteDifferences() =>
        GradCheck.For("MaxPool").Input("x", TestTensors.Distinct(new Random(140), 0.05, 2, 3, 6, 5))
            .Attr("kernel_shape", new long[] { 2, 2 }).Attr("strides", new long[] { 2, 2 }).Run();

    /// <summary>9 windows per row (the 8-wide vector body plus a tail) with an uncovered last row and column.</summary>
    [Fact]
    public void MaxPool_2x2Stride2WideRows_MatchesFiniteDifferences() =>
        GradCheck.For("MaxPool").Input("x", TestTensors.Distinct(new Random(144), 0.05, 1, 2, 5, 19))
            .Attr("kernel_shape", new long[] { 2, 2 }).Attr("strides", new long[] { 2, 2 }).Run();

    [Fact]
    public void MaxPool_Overlapping3x3Padded_MatchesFiniteDifferences() =>
        GradCheck.For("MaxPool").Input("x", TestTensors.Distinct(new Random(141), 0.05, 1, 2, 6, 6))
            .Attr("kernel_shape", new long[] { 3, 3 }).Attr("strides", new long[] { 2, 2 }).Attr("pads", new long[] { 1, 1, 1, 1 }).Run();

    [Fact]
    public void MaxPool_CeilModeDilated_MatchesFiniteDifferences() =>
        GradCheck.For("MaxPool").Input("x", TestTensors.Distinct(new Random(142), 0.05, 1, 2, 7, 8))
            .Attr("kernel_shape", new long[] { 2, 3 }).Attr("strides", new long[] { 2, 2 }).Attr("dilations", new long[] { 2, 1 })
            .Attr("ceil_mode", 1L).Run();

    [Fact]
    public void MaxPool_1D_MatchesFiniteDifferences() =>
        GradCheck.For("MaxPool").Input("x", TestTensors.Distinct(new Random(143), 0.05, 2, 2, 9))
            .Attr("kernel_shape", new long[] { 3 }).Attr("strides", new long[] { 2 }).Run();

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(1L, 0L)]
    [InlineData(0L, 1L)]
    [InlineData(1L, 1L)]
    public void AveragePool_PadsCeilMode_MatchesFiniteDifferences(long countIncludePad, long ceilMode) =>
        GradCheck.For("AveragePool").Input("x", TestTensors.Random(new Random(150 + (int)(2 * countIncludePad + ceilMode)), 2, 2, 7, 6))
            .Attr("kernel_shape", new long[] { 3, 3 }).Attr("strides", new long[] { 2, 2 }).Attr("pads", new long[] { 1, 1, 1, 0 })
            .Attr("count_include_pad", countIncludePad).Attr("ceil_mode", ceilMode).Run();

    [Fact]
    public void AveragePool_3D_MatchesFiniteDifferences() =>
        GradCheck.For("AveragePool").Input("x", TestTensors.Random(new Random(155), 1, 2, 4, 4, 3))
            .Attr("kernel_shape", new long[] { 2, 2, 2 }).Attr("strides", new long[] { 1, 2, 1 }).Run();

    [Fact]
    public void GlobalAveragePool_MatchesFiniteDifferences() =>
        GradCheck.For("GlobalAveragePool").Input("x", TestTensors.Random(new Random(156), 2, 3, 4, 5)).Run();
}
