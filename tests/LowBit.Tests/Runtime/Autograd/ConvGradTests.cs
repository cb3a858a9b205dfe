using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>Conv backward (dX, dW, dB) against finite differences over the geometry variants; tolerance as in
/// <see cref="GradCheck"/> (the convolution is linear in each operand, so only float32 rounding limits agreement).</summary>
public class ConvGradTests
{
    private static GradCheck Conv(int seed, int[] x, int[] w, bool bias = true)
    {
        var rng = new Random(seed);
        var c = GradCheck.For("Conv").Input("x", TestTensors.Random(rng, x)).Input("w", TestTensors.Random(rng, w));
        return bias ? c.Input("b", TestTensors.Random(rng, w[0])) : c;
    }

    [Fact]
    public void Conv_Padded3x3_MatchesFiniteDifferences() =>
        Conv(1, [2, 3, 5, 5], [4, 3, 3, 3]).Attr("pads", new long[] { 1, 1, 1, 1 }).Run();

    [Fact]
    public void Conv_Stride2AsymmetricPads_MatchesFiniteDifferences() =>
        Conv(2, [2, 3, 6, 5], [4, 3, 3, 3]).Attr("strides", new long[] { 2, 2 }).Attr("pads", new long[] { 1, 0, 0, 2 }).Run();

    [Fact]
    public void Conv_Stride1AsymmetricPadsNoBias_MatchesFiniteDifferences() =>
        Conv(3, [1, 2, 5, 6], [3, 2, 3, 2], bias: false).Attr("pads", new long[] { 2, 0, 0, 1 }).Run();

    [Fact]
    public void Conv_Dilation2_MatchesFiniteDifferences() =>
        Conv(4, [2, 2, 7, 7], [3, 2, 3, 3]).Attr("dilations", new long[] { 2, 2 }).Attr("pads", new long[] { 2, 2, 2, 2 }).Run();

    [Fact]
    public void Conv_DilatedStrided_MatchesFiniteDifferences() =>
        Conv(5, [1, 2, 8, 7], [2, 2, 3, 2]).Attr("dilations", new long[] { 2, 1 }).Attr("strides", new long[] { 2, 3 })
            .Attr("pads", new long[] { 1, 1, 2, 0 }).Run();

    [Fact]
    public void Conv_Grouped_MatchesFiniteDifferences() =>
        Conv(6, [2, 4, 5, 5], [6, 2, 3, 3]).Attr("group", 2L).Attr("pads", new long[] { 1, 1, 1, 1 }).Run();

    [Fact]
    public void Conv_GroupedStrided_MatchesFiniteDifferences() =>
        Conv(7, [2, 4, 5, 5], [4, 2, 3, 3]).Attr("group", 2L).Attr("strides", new long[] { 2, 2 }).Run();

    [Fact]
    public void Conv_Depthwise_MatchesFiniteDifferences() =>
        Conv(8, [2, 3, 6, 6], [3, 1, 3, 3]).Attr("group", 3L).Attr("pads", new long[] { 1, 1, 1, 1 }).Run();

    [Fact]
    public void Conv_DepthwiseStride2Multiplier2_MatchesFiniteDifferences() =>
        Conv(9, [2, 3, 6, 5], [6, 1, 3, 3]).Attr("group", 3L).Attr("strides", new long[] { 2, 2 }).Attr("pads", new long[] { 1, 1, 0, 1 }).Run();

    [Fact]
    public void Conv_DepthwiseDilated_MatchesFiniteDifferences() =>
        Conv(10, [1, 2, 7, 7], [2, 1, 3, 3]).Attr("group", 2L).Attr("dilations", new long[] { 2, 2 }).Attr("pads", new long[] { 2, 1, 2, 1 }).Run();

    [Fact]
    public void Conv_1D_MatchesFiniteDifferences() =>
        Conv(11, [2, 3, 9], [4, 3, 3]).Attr("strides", new long[] { 2 }).Attr("pads", new long[] { 1, 2 }).Run();

    [Fact]
    public void Conv_1DStride1_MatchesFiniteDifferences() =>
        Conv(12, [2, 2, 7], [3, 2, 4]).Attr("pads", new long[] { 2, 1 }).Run();

    [Fact]
    public void Conv_Pointwise_MatchesFiniteDifferences() => Conv(13, [2, 4, 3, 3], [5, 4, 1, 1]).Run();

    [Fact]
    public void Conv_PointwiseStride2_MatchesFiniteDifferences() =>
        Conv(14, [2, 3, 5, 5], [4, 3, 1, 1], bias: false).Attr("strides", new long[] { 2, 2 }).Run();

    [Fact]
    public void Conv_SameUpperStride2_MatchesFiniteDifferences() =>
        Conv(15, [1, 2, 5, 6], [3, 2, 3, 3]).Attr("auto_pad", "SAME_UPPER").Attr("strides", new long[] { 2, 2 }).Run();

    /// <summary>More input channels than input pixels with several images: dX runs as one batched GEMM per group.</summary>
    [Fact]
    public void Conv_DeepSmallPlane_MatchesFiniteDifferences() =>
        Conv(16, [2, 20, 3, 3], [4, 20, 3, 3]).Attr("pads", new long[] { 1, 1, 1, 1 }).Run();

    /// <summary>Five images on a multi-core machine: the deep forward and dX give each thread its own run of images
    /// (2 and 3 on two cores), slicing inputs, outputs and bias per run.</summary>
    [Fact]
    public void Conv_DeepSmallPlaneFiveImages_MatchesFiniteDifferences() =>
        Conv(17, [5, 20, 3, 3], [12, 20, 3, 3]).Attr("pads", new long[] { 1, 1, 1, 1 }).Run();

    /// <summary>A 3-pixel plane with 16 channels: dX runs on the transposed (channels along the vector lanes) kernel.</summary>
    [Fact]
    public void Conv_TinyPlaneTransposedKernel_MatchesFiniteDifferences() =>
        Conv(17, [2, 16, 3, 1], [8, 16, 3, 1], bias: false).Attr("pads", new long[] { 1, 0, 1, 0 }).Run();

    /// <summary>A pad wider than the kernel's extent (1×1 kernel, pad 1): dX takes the col2im path even at stride 1.</summary>
    [Fact]
    public void Conv_PadBeyondKernelExtent_MatchesFiniteDifferences() =>
        Conv(19, [2, 3, 3, 4], [2, 3, 1, 1]).Attr("pads", new long[] { 1, 0, 2, 1 }).Run();

    /// <summary>8+ channels per group: dW runs on the channels-last im2colᵀ (3×3 padded, and 1×1).</summary>
    [Theory]
    [InlineData(3, 1)]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    public void Conv_ChannelsLastWeightGradient_MatchesFiniteDifferences(int kernel, int groups) =>
        Conv(20 + kernel + groups, [2, 8 * groups, 4, 5], [4, 8, kernel, kernel]).Attr("group", (long)groups)
            .Attr("pads", Enumerable.Repeat((long)(kernel / 2), 4).ToArray()).Run();

    [Fact]
    public void Conv_3D_MatchesFiniteDifferences() =>
        Conv(18, [1, 2, 4, 3, 4], [3, 2, 2, 2, 3]).Attr("strides", new long[] { 1, 2, 1 }).Attr("pads", new long[] { 1, 0, 1, 0, 1, 0 }).Run();
}
