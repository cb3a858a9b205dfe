using LowBit.Kernels.Conv;

namespace LowBit.Kernels.Tests.Conv;

/// <summary>
/// The convolution-backward building blocks against definitions: col2im is the adjoint of im2col
/// (⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩, float32 sums: 1e-4 relative), the channels-last im2colᵀ holds exactly the im2col
/// elements (a permutation: exact), and the depthwise backward matches the adjoint of the depthwise forward.
/// </summary>
public class ConvGrad2DTests
{
    public static IEnumerable<object[]> Geometries() =>
    [
        [new Conv2DShape(3, 6, 7, 3, 3, 1, 1, 1, 1, 1, 1, 6, 7)],
        [new Conv2DShape(2, 9, 8, 3, 2, 2, 3, 1, 0, 2, 1, 4, 3)],
        [new Conv2DShape(8, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1, 5, 5)],
        [new Conv2DShape(16, 4, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2, 3)],
    ];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Accumulate_IsAdjointOfExpand(Conv2DShape s)
    {
        var x = Numerics.Random(s.InputLength, 1);
        var c = Numerics.Random(s.K * s.N, 2);
        var col = new float[s.K * s.N];
        ConvGrad2D.Expand(x, s, col);
        var back = new float[s.InputLength];
        ConvGrad2D.Accumulate(c, s, back);
        double lhs = col.Zip(c).Sum(p => (double)p.First * p.Second), rhs = x.Zip(back).Sum(p => (double)p.First * p.Second);
        Assert.Equal(lhs, rhs, 1e-4 * Math.Max(1, Math.Abs(lhs)));
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ExpandTransposed_IsChannelsLastIm2ColTransposed(Conv2DShape s)
    {
        var x = Numerics.Random(s.InputLength, 3);
        int taps = s.KernelH * s.KernelW;
        var colT = new float[s.K * s.N];
        ConvGrad2D.ExpandTransposed(x, s, new float[s.InputLength], colT);
        for (int c = 0; c < s.Channels; c++)
            for (int t = 0; t < taps; t++)
                for (int n = 0; n < s.N; n++)
                    Assert.Equal(s.Element(x, c * taps + t, n), colT[n * s.K + t * s.Channels + c]);
    }

    /// <summary>⟨dwconv(x; w), g⟩ is bilinear: its x-gradient and w-gradient from the backward must satisfy
    /// ⟨x, dx⟩ = ⟨w, dw⟩ = ⟨y, g⟩ (float32 sums: 1e-4 relative).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void DepthwiseBackward_IsAdjointOfForward(int multiplier)
    {
        var s = new Conv2DShape(3, 7, 6, 3, 3, 2, 1, 1, 0, 1, 2, 4, 2);
        int m = 3 * multiplier, taps = 9, plane = s.N;
        var x = Numerics.Random(s.InputLength, 4);
        var w = Numerics.Random(m * taps, 5);
        var g = Numerics.Random(m * plane, 6);
        var y = new float[m * plane];
        DepthwiseConv2D.Run(x, w, s, multiplier, y, 0, m, default);
        var dx = new float[s.InputLength];
        var dw = new float[m * taps];
        DepthwiseConv2DGrad.Run(x, w, g, s, multiplier, dx, dw, 0, m);
        double yg = y.Zip(g).Sum(p => (double)p.First * p.Second);
        Assert.Equal(yg, x.Zip(dx).Sum(p => (double)p.First * p.Second), 1e-4 * Math.Max(1, Math.Abs(yg)));
        Assert.Equal(yg, w.Zip(dw).Sum(p => (double)p.First * p.Second), 1e-4 * Math.Max(1, Math.Abs(yg)));
    }
}
