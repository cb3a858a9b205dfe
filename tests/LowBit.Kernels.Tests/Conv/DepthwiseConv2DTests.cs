using LowBit.Kernels.Conv;
using LowBit.Kernels.Gemm;
using LowBit.Kernels.Tests.Gemm;

namespace LowBit.Kernels.Tests.Conv;

public class DepthwiseConv2DTests
{
    /// <summary>Each output channel equals a one-channel reference convolution of its input channel
    /// (tolerance <see cref="Numerics.Bound"/>: the direct kernel sums taps in a different order).</summary>
    [Theory]
    [InlineData(4, 1, 9, 9, 3, 3, 1, 1, 1, 1, 1)]
    [InlineData(3, 2, 10, 7, 3, 3, 2, 2, 1, 0, 1)]
    [InlineData(2, 3, 8, 8, 5, 3, 1, 2, 2, 1, 2)]
    [InlineData(5, 1, 1, 17, 1, 4, 1, 1, 0, 3, 1)]
    public void Run_MatchesPerChannelReference(int c, int multiplier, int h, int w, int kh, int kw, int sh, int sw, int pt, int pl, int dil)
    {
        int oh = (h + 2 * pt - (dil * (kh - 1) + 1)) / sh + 1, ow = (w + 2 * pl - (dil * (kw - 1) + 1)) / sw + 1;
        var s = new Conv2DShape(c, h, w, kh, kw, sh, sw, pt, pl, dil, dil, oh, ow);
        int m = c * multiplier, kk = kh * kw, plane = oh * ow;
        var x = Numerics.Random(s.InputLength, 1);
        var weights = Numerics.Random(m * kk, 2);
        var bias = Numerics.Random(m, 3);
        var residual = Numerics.Random(m * plane, 4);
        var y = new float[m * plane];
        var ep = new GemmEpilogue { RowBias = bias, Residual = residual, Activation = GemmActivation.Clip, ClipMin = -0.3f, ClipMax = 0.8f };
        DepthwiseConv2D.Run(x, weights, s, multiplier, y, 0, m, ep);
        var one = s with { Channels = 1 };
        var reference = GemmF32Tests.ReferenceRow;
        for (int co = 0; co < m; co++)
        {
            var plane0 = x.AsSpan(co / multiplier * h * w, h * w).ToArray();
            var expected = new float[plane];
            var epOne = new GemmEpilogue { RowBias = bias.AsSpan(co, 1), Residual = residual.AsSpan(co * plane, plane), Activation = GemmActivation.Clip, ClipMin = -0.3f, ClipMax = 0.8f };
            reference.Conv2D(reference.PackA(false, 1, kk, weights.AsSpan(co * kk, kk), kk), plane0, one, expected, epOne);
            var bound = Enumerable.Repeat(Numerics.Bound(kk, kk + 2.0), plane).ToArray();
            Numerics.AssertClose(expected, y.AsSpan(co * plane, plane), bound, $"channel {co}");
        }
    }
}
