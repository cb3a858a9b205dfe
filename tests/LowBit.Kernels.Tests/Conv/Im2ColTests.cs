using LowBit.Kernels.Conv;
using LowBit.Kernels.Gemm;
using LowBit.Kernels.Tests.Gemm;

namespace LowBit.Kernels.Tests.Conv;

/// <summary>Implicit-im2col convolution (panel packing straight from the image) against the reference's per-element
/// im2col, plus the explicit N-D im2col and its adjoint. Tolerance: <see cref="Numerics.Bound"/>.</summary>
public class Im2ColTests
{
    /// <summary>(C, H, W, KH, KW, SH, SW, PT, PL, PB, PR, DH, DW, M): strides, asymmetric pads, dilation, 1×1, tails.</summary>
    public static IEnumerable<object[]> Geometries() =>
    [
        [3, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5],
        [3, 20, 20, 7, 7, 2, 2, 3, 3, 2, 2, 1, 1, 8],      // ResNet stem with CNTK's asymmetric pads
        [16, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 33],
        [8, 14, 14, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 16],     // strided 1×1 shortcut
        [32, 6, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 49],      // pointwise: B is the image itself
        [4, 12, 10, 3, 2, 3, 2, 0, 2, 2, 0, 2, 3, 7],      // dilation with odd strides
        [2, 5, 5, 5, 5, 1, 1, 4, 4, 4, 4, 1, 1, 3],        // window larger than the image's valid part
        [1, 1, 30, 1, 5, 1, 1, 0, 2, 0, 2, 1, 1, 4],       // 1-D as 1×W
        [5, 40, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 9],      // many panels per output row
        [2, 9, 80, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 6],       // stride-2 rows long enough for the vector gather
        [4, 20, 30, 3, 3, 1, 1, 2, 1, 0, 3, 2, 2, 7],      // direct (padded-image) path: dilation, asymmetric pads
        [100, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 10],   // direct path with K = 900 > KC: several k-blocks
        [3, 12, 14, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 9],      // direct path, no padding (end columns cropped)
    ];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Conv2D_EveryRow_MatchesReference(int c, int h, int w, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr,
        int dh, int dw, int m)
    {
        int oh = (h + pt + pb - (dh * (kh - 1) + 1)) / sh + 1, ow = (w + pl + pr - (dw * (kw - 1) + 1)) / sw + 1;
        var s = new Conv2DShape(c, h, w, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow);
        var x = Numerics.Random(s.InputLength, 1);
        var weights = Numerics.Random(m * s.K, 2);
        var bias = Numerics.Random(m, 3);
        var ep = new GemmEpilogue { RowBias = bias, Activation = GemmActivation.Relu };
        var reference = GemmF32Tests.ReferenceRow;
        var expected = new float[m * s.N];
        reference.Conv2D(reference.PackA(false, m, s.K, weights, s.K), x, s, expected, ep);
        var bound = new double[expected.Length];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < s.N; j++)
            {
                double sum = Math.Abs(bias[i]);
                for (int k = 0; k < s.K; k++) sum += Math.Abs(weights[i * s.K + k] * (double)s.Element(x, k, j));
                bound[i * s.N + j] = Numerics.Bound(s.K, sum);
            }
        foreach (var row in KernelTable.Supported(KernelTable.SgemmRows))
            foreach (bool transposed in new[] { false, true })
                foreach (int threads in new[] { 1, 2 })
                {
                    var y = Enumerable.Repeat(float.NaN, m * s.N).ToArray();
                    // Transposed: Wᵀ packed as a right operand, outputᵀ = im2colᵀ·Wᵀ computed then transposed back.
                    var packed = transposed ? row.Implementation.PackB(true, s.K, m, weights, s.K) : row.Implementation.PackA(false, m, s.K, weights, s.K);
                    row.Implementation.Conv2D(packed, x, s, y, ep, threads);
                    Numerics.AssertClose(expected, y, bound, $"{row.Name} transposed {transposed} threads {threads}");
                }
    }

    [Theory]
    [InlineData(3, 16, 5, 5, 3, 40, 1)]    // deep-layer shape: M > N
    [InlineData(5, 3, 23, 23, 3, 9, 1)]    // 529 pixels: register panels straddle image boundaries
    [InlineData(4, 8, 6, 7, 1, 16, 2)]     // pointwise, channel slice of a wider tensor (grouped layout)
    public void Conv2D_Batched_MatchesImageByImage(int images, int c, int h, int w, int k, int m, int sliceFactor)
    {
        int pad = k / 2;
        var s = new Conv2DShape(c, h, w, k, k, 1, 1, pad, pad, 1, 1, h, w);
        long inStride = (long)s.InputLength * sliceFactor, outStride = (long)m * s.N * sliceFactor;
        var x = Numerics.Random((int)(images * inStride), 1);
        var weights = Numerics.Random(m * s.K, 2);
        var bias = Numerics.Random(m, 3);
        var residual = Numerics.Random((int)(images * outStride), 4);
        var bound = Enumerable.Repeat(Numerics.Bound(s.K, s.K + 3.0), (int)(images * outStride)).ToArray();
        foreach (var row in KernelTable.Supported(KernelTable.SgemmRows))
        {
            var kern = row.Implementation;
            var packed = kern.PackA(false, m, s.K, weights, s.K);
            var expected = new float[images * outStride];
            for (int i = 0; i < images; i++)
            {
                var ep1 = new GemmEpilogue { RowBias = bias, Residual = residual.AsSpan((int)(i * outStride), m * s.N), Activation = GemmActivation.Relu };
                kern.Conv2D(packed, x.AsSpan((int)(i * inStride), s.InputLength), s, expected.AsSpan((int)(i * outStride), m * s.N), ep1, 1);
            }
            foreach (int threads in new[] { 1, 2 })
            {
                var y = new float[images * outStride];
                var ep = new GemmEpilogue { RowBias = bias, Residual = residual, Activation = GemmActivation.Relu };
                kern.Conv2D(packed, x, inStride, images, s, y, outStride, ep, threads);
                Numerics.AssertClose(expected, y, bound, $"{row.Name} threads {threads}");
            }
        }
    }

    [Fact]
    public void PrefersTransposedConv_TinyPixelCountManyChannels_IsTrueOnlyForBlockedRows()
    {
        foreach (var row in KernelTable.Supported(KernelTable.SgemmRows))
        {
            bool blocked = row.Name != "reference";
            Assert.Equal(blocked, row.Implementation.PrefersTransposedConv(512, 1));
            Assert.Equal(blocked, row.Implementation.PrefersTransposedConv(1024, 3));
            Assert.False(row.Implementation.PrefersTransposedConv(512, 49));
            Assert.False(row.Implementation.PrefersTransposedConv(64, 3136));
        }
    }

    [Fact]
    public void Expand_TwoD_MatchesElementwiseIm2Col()
    {
        var s = new Conv2DShape(3, 6, 7, 3, 2, 2, 1, 1, 0, 2, 1, 3, 7);
        var x = Numerics.Random(s.InputLength, 4);
        var col = new float[s.K * s.N];
        Im2Col.Expand(x, 3, [6, 7], [3, 2], [2, 1], [1, 0], [2, 1], [3, 7], col);
        for (int k = 0; k < s.K; k++)
            for (int n = 0; n < s.N; n++)
                Assert.Equal(s.Element(x, k, n), col[k * s.N + n]);
    }

    [Fact]
    public void Accumulate_IsAdjointOfExpand()
    {
        // <Expand(x), g> = <x, Accumulate(g)> for any x, g: the col2im used by ConvTranspose is the exact transpose.
        int[] image = [4, 5, 6], kernel = [2, 3, 2], strides = [1, 2, 2], pads = [1, 1, 0], dil = [2, 1, 1], outShape = [3, 3, 3];
        int channels = 2, kk = 12, nOut = 27;
        var x = Numerics.Random(channels * 120, 5);
        var g = Numerics.Random(channels * kk * nOut, 6);
        var col = new float[g.Length];
        Im2Col.Expand(x, channels, image, kernel, strides, pads, dil, outShape, col);
        var back = new float[x.Length];
        Im2Col.Accumulate(g, channels, image, kernel, strides, pads, dil, outShape, back);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < col.Length; i++) lhs += (double)col[i] * g[i];
        for (int i = 0; i < x.Length; i++) rhs += (double)x[i] * back[i];
        Assert.Equal(lhs, rhs, 4);
    }
}
