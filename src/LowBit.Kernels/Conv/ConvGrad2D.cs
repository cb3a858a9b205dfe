using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace LowBit.Kernels.Conv;

/// <summary>
/// The explicit im2col matrix of one convolution image and its adjoint (col2im), for the backward pass of a 1-D/2-D
/// convolution (layout in <see cref="Conv2DShape"/>: row k = (c·KH + kh)·KW + kw, column n = oh·OutW + ow):
/// <code>
/// dW[M, K]  += dY[M, N] · col[K, N]ᵀ           (col = Expand(x))
/// dX         = col2im(Wᵀ[K, M] · dY[M, N])     (Accumulate: x[c, ih, iw] += col[k, n] for every tap reading it)
/// </code>
/// </summary>
public static unsafe class ConvGrad2D
{
    /// <summary>Writes the full im2col matrix of image <paramref name="x"/> ([Channels, H, W]) into <paramref name="col"/>
    /// ([K, N] row-major), zeros in the padding; the same row walk as the GEMM's panel packing.</summary>
    public static void Expand(ReadOnlySpan<float> x, in Conv2DShape s, Span<float> col)
    {
        s.Validate();
        if (x.Length < s.InputLength) throw new ArgumentException("x is shorter than the convolution geometry");
        if (col.Length < (long)s.K * s.N) throw new ArgumentException("col is shorter than K·N");
        if (s.K == 0 || s.N == 0) return;
        fixed (float* px = x, pc = col) Im2Col.PackPanel(s, px, 0, s.K, 0, s.N, pc, s.N);
    }

    /// <summary>
    /// image[c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw] += col[(c·KH + kh)·KW + kw, oh·OutW + ow] for every in-image
    /// position (the adjoint of <see cref="Expand"/>). Per (row, oh) the valid ow range is precomputed per kw, so stride-1
    /// rows are one vector add.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Accumulate(ReadOnlySpan<float> col, in Conv2DShape s, Span<float> image)
    {
        s.Validate();
        if (image.Length < s.InputLength) throw new ArgumentException("image is shorter than the convolution geometry");
        if (col.Length < (long)s.K * s.N) throw new ArgumentException("col is shorter than K·N");
        Span<int> owLo = stackalloc int[s.KernelW];
        Span<int> owHi = stackalloc int[s.KernelW];
        ValidColumns(s, owLo, owHi);
        int plane = s.Height * s.Width, n = s.N;
        for (int c = 0; c < s.Channels; c++)
        {
            var img = image.Slice(c * plane, plane);
            for (int kh = 0; kh < s.KernelH; kh++)
                for (int kw = 0; kw < s.KernelW; kw++)
                {
                    var row = col.Slice(((c * s.KernelH + kh) * s.KernelW + kw) * n, n);
                    int lo = owLo[kw], hi = owHi[kw];
                    if (lo >= hi) continue;
                    for (int oh = 0; oh < s.OutH; oh++)
                    {
                        int ih = oh * s.StrideH - s.PadTop + kh * s.DilationH;
                        if ((uint)ih >= (uint)s.Height) continue;
                        int iw = lo * s.StrideW - s.PadLeft + kw * s.DilationW;
                        var src = row.Slice(oh * s.OutW + lo, hi - lo);
                        if (s.StrideW == 1)
                        {
                            var dst = img.Slice(ih * s.Width + iw, hi - lo);
                            TensorPrimitives.Add(dst, src, dst);
                        }
                        else
                        {
                            var dst = img.Slice(ih * s.Width);
                            for (int t = 0; t < src.Length; t++, iw += s.StrideW) dst[iw] += src[t];
                        }
                    }
                }
        }
    }

    /// <summary>
    /// The im2col matrix transposed, taps major and channels minor: colT[p, (kh·KW + kw)·C + c] = x[c, ih, iw] for
    /// output pixel p = oh·OutW + ow (zeros in the padding). Built from a channels-last copy of the image
    /// (<paramref name="channelsLast"/>[ih·W + iw, c], at least H·W·C floats) so that every (pixel, tap) is one copy of C
    /// contiguous floats; as the right operand of dW'[M, KH·KW·C] = dY[M, P]·colT[P, ·] it packs by straight row copies.
    /// </summary>
    public static void ExpandTransposed(ReadOnlySpan<float> x, in Conv2DShape s, Span<float> channelsLast, Span<float> colT)
    {
        s.Validate();
        int c = s.Channels, hw = s.Height * s.Width, k = s.K;
        if (x.Length < s.InputLength || channelsLast.Length < (long)hw * c) throw new ArgumentException("x or the channels-last scratch is shorter than the image");
        if (colT.Length < (long)k * s.N) throw new ArgumentException("colT is shorter than N·K");
        fixed (float* px = x, pt = channelsLast, pc = colT)
        {
            Transpose(px, c, hw, pt);
            for (int oh = 0, p = 0; oh < s.OutH; oh++)
                for (int ow = 0; ow < s.OutW; ow++, p++)
                {
                    float* dst = pc + (long)p * k;
                    for (int kh = 0; kh < s.KernelH; kh++)
                    {
                        int ih = oh * s.StrideH - s.PadTop + kh * s.DilationH;
                        if ((uint)ih >= (uint)s.Height)
                        {
                            PanelCopy.Zero(dst, s.KernelW * c);
                            dst += s.KernelW * c;
                            continue;
                        }
                        for (int kw = 0; kw < s.KernelW; kw++, dst += c)
                        {
                            int iw = ow * s.StrideW - s.PadLeft + kw * s.DilationW;
                            if ((uint)iw >= (uint)s.Width) PanelCopy.Zero(dst, c);
                            else PanelCopy.Copy(pt + ((long)ih * s.Width + iw) * c, dst, c);
                        }
                    }
                }
        }
    }

    /// <summary>dst[j, i] = src[i, j] for src [rows, cols] row-major, in 8×8 tiles (both sides touch 8 cache lines per tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* src, int rows, int cols, float* dst)
    {
        const int T = 8;
        for (int i0 = 0; i0 < rows; i0 += T)
        {
            int i1 = Math.Min(rows, i0 + T);
            for (int j0 = 0; j0 < cols; j0 += T)
            {
                int j1 = Math.Min(cols, j0 + T);
                for (int i = i0; i < i1; i++)
                {
                    float* s = src + (long)i * cols;
                    for (int j = j0; j < j1; j++) dst[(long)j * rows + i] = s[j];
                }
            }
        }
    }

    /// <summary>Per kernel column kw, the output columns [lo, hi) whose tap lands inside the image:
    /// 0 ≤ ow·sw − pl + kw·dw &lt; W.</summary>
    internal static void ValidColumns(in Conv2DShape s, Span<int> lo, Span<int> hi)
    {
        for (int kw = 0; kw < s.KernelW; kw++)
        {
            int off = kw * s.DilationW - s.PadLeft, sw = s.StrideW;
            lo[kw] = Math.Min(s.OutW, off >= 0 ? 0 : (-off + sw - 1) / sw);
            hi[kw] = Math.Max(lo[kw], Math.Min(s.OutW, off >= s.Width ? 0 : (s.Width - off + sw - 1) / sw));
        }
    }
}
