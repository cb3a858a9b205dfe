using LowBit.Kernels.Pool;

namespace LowBit.Kernels.Tests.Pool;

/// <summary>Max-pool backward against the window definition (first maximum in scan order takes the gradient), on
/// inputs full of ties (ReLU-like zeros) so every branch of the 2×2 fast path and its vector form is exercised.</summary>
public class PoolingGradTests
{
    [Theory]
    [InlineData(4, 16)]     // 8 windows per row: the vector body only
    [InlineData(5, 37)]     // 18 windows (2 vectors + 2 scalar), an uncovered last row and column
    [InlineData(7, 7)]      // scalar tail only
    [InlineData(6, 10)]     // 2×2 kernel, stride 1 (overlapping): the generic path
    public void MaxBackward_TiesAndEdges_RoutesToFirstMaximum(int h, int w)
    {
        bool overlapping = h == 6;
        int stride = overlapping ? 1 : 2;
        int oh = (h - 2) / stride + 1, ow = (w - 2) / stride + 1;
        var s = new PoolShape([h, w], [oh, ow], [2, 2], [stride, stride], [0, 0], [0, 0], [1, 1]);
        var rng = new Random(h * 31 + w);
        // Values from {0, 0, 0, 1, 2}: about 60 % zeros, so many windows tie.
        var x = Enumerable.Range(0, h * w).Select(_ => (float)Math.Max(0, rng.Next(5) - 2)).ToArray();
        var dy = Enumerable.Range(0, oh * ow).Select(i => (float)(i + 1)).ToArray();
        var dx = Enumerable.Repeat(float.NaN, h * w).ToArray();
        PoolingGrad.MaxBackward(x, s, dy, dx);
        var expected = new float[h * w];
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                int best = -1;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++)
                    {
                        int at = (i * stride + a) * w + j * stride + b;
                        if (best < 0 || x[at] > x[best]) best = at;
                    }
                expected[best] += dy[i * ow + j];
            }
        Assert.Equal(expected, dx);
    }

    /// <summary>Average backward equals the transpose of the forward: ⟨avg(x), g⟩ = ⟨x, avg_backward(g)⟩ for random x, g
    /// (float32 sums of ≤ 36 terms: 1e-4 relative).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AverageBackward_IsAdjointOfForward(bool includePad)
    {
        var s = new PoolShape([7, 6], [4, 3], [3, 3], [2, 2], [1, 1], [1, 0], [1, 1]);
        var x = Numerics.Random(42, 1);
        var g = Numerics.Random(12, 2);
        var y = new float[12];
        Pooling.Average<float>(x, s, includePad, y);
        var dx = new float[42];
        PoolingGrad.AverageBackward(s, includePad, g, dx);
        double lhs = y.Zip(g).Sum(p => (double)p.First * p.Second), rhs = x.Zip(dx).Sum(p => (double)p.First * p.Second);
        Assert.Equal(lhs, rhs, 1e-4 * Math.Max(1, Math.Abs(lhs)));
    }
}
