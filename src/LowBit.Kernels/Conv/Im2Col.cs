using System.Runtime.CompilerServices;
using LowBit.Kernels.Gemm;

namespace LowBit.Kernels.Conv;

/// <summary>
/// The im2col matrix of a convolution (layout in <see cref="Conv2DShape"/>): packed panel by panel for the blocked GEMM
/// (never materialized in 2-D), or written out in full for N-D convolutions, and its adjoint col2im (ConvTranspose).
/// </summary>
public static unsafe class Im2Col
{
    /// <summary>
    /// Writes rows [k0, k0+kc) × columns [n0, n0+cols) of the im2col matrix of image <paramref name="x"/> into a GEMM
    /// right panel (row p at dst + p·ld; columns past cols are left to the caller, who may fill them from another image). Per row, columns are walked one output row (oh) at a
    /// time: the valid iw range is found once, so stride-1 rows become a block copy between zero edges.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackPanel(in Conv2DShape s, float* x, int k0, int kc, int n0, int cols, float* dst, int ld)
    {
        int kw = k0 % s.KernelW, kh = k0 / s.KernelW % s.KernelH, ci = k0 / (s.KernelW * s.KernelH);
        int oh0 = n0 / s.OutW, ow0 = n0 % s.OutW;
        for (int p = 0; p < kc; p++)
        {
            float* d = dst + (long)p * ld;
            float* plane = x + (long)ci * s.Height * s.Width;
            int dh = kh * s.DilationH - s.PadTop, dw = kw * s.DilationW - s.PadLeft;
            int col = 0, oh = oh0, ow = ow0;
            while (col < cols)
            {
                int seg = Math.Min(cols - col, s.OutW - ow);
                int ih = oh * s.StrideH + dh;
                if ((uint)ih >= (uint)s.Height)
                {
                    PanelCopy.Zero(d + col, seg);
                }
                else
                {
                    float* row = plane + (long)ih * s.Width;
                    int iw0 = ow * s.StrideW + dw, sw = s.StrideW;
                    // Valid t: 0 ≤ iw0 + t·sw < Width (no division for the common stride 1).
                    int lo, hi;
                    if (sw == 1)
                    {
                        lo = Math.Max(0, -iw0);
                        hi = Math.Min(seg, s.Width - iw0);
                    }
                    else
                    {
                        lo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;
                        hi = iw0 >= s.Width ? 0 : Math.Min(seg, (s.Width - iw0 + sw - 1) / sw);
                    }
                    lo = Math.Min(lo, seg);
                    hi = Math.Max(hi, lo);
                    PanelCopy.Zero(d + col, lo);
                    float* src = row + iw0 + (long)lo * sw;
                    if (sw == 1) PanelCopy.Copy(src, d + col + lo, hi - lo);
                    else if (sw == 2) PanelCopy.GatherEven(src, d + col + lo, hi - lo);
                    else
                    {
                        float* o = d + col;
                        for (int t = lo; t < hi; t++, src += sw) o[t] = *src;
                    }
                    PanelCopy.Zero(d + col + hi, seg - hi);
                }
                col += seg;
                ow = 0;
                oh++;
            }
            if (++kw == s.KernelW)
            {
                kw = 0;
                if (++kh == s.KernelH) { kh = 0; ci++; }
            }
        }
    }

    /// <summary>
    /// Full N-D im2col: col[(c·∏kernel + kernel offset), output position] = x[c, o·stride − padBegin + kernel·dilation]
    /// (zero outside). x is [channels, ∏inShape]; col is [channels·∏kernel, ∏outShape].
    /// </summary>
    public static void Expand(ReadOnlySpan<float> x, int channels, ReadOnlySpan<int> inShape, ReadOnlySpan<int> kernel,
        ReadOnlySpan<int> strides, ReadOnlySpan<int> padBegin, ReadOnlySpan<int> dilations, ReadOnlySpan<int> outShape,
        Span<float> col)
    {
        var g = new Grid(inShape, kernel, strides, padBegin, dilations, outShape);
        int kk = Product(kernel), nOut = Product(outShape), inSize = Product(inShape);
        if (col.Length < (long)channels * kk * nOut) throw new ArgumentException("col is too short");
        if (x.Length < (long)channels * inSize) throw new ArgumentException("x is too short");
        for (int c = 0; c < channels; c++)
            for (int kidx = 0; kidx < kk; kidx++)
            {
                var row = col.Slice((c * kk + kidx) * nOut, nOut);
                var plane = x.Slice(c * inSize, inSize);
                for (int n = 0; n < nOut; n++)
                {
                    int src = g.Source(kidx, n);
                    row[n] = src >= 0 ? plane[src] : 0f;
                }
            }
    }

    /// <summary>
    /// Adjoint of <see cref="Expand"/>: image[c, o·stride − padBegin + kernel·dilation] += col[(c, kernel offset), o].
    /// Used by ConvTranspose, whose output is the image and whose input grid is <paramref name="outShape"/>.
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> col, int channels, ReadOnlySpan<int> imageShape, ReadOnlySpan<int> kernel,
        ReadOnlySpan<int> strides, ReadOnlySpan<int> padBegin, ReadOnlySpan<int> dilations, ReadOnlySpan<int> outShape,
        Span<float> image)
    {
        var g = new Grid(imageShape, kernel, strides, padBegin, dilations, outShape);
        int kk = Product(kernel), nOut = Product(outShape), imSize = Product(imageShape);
        if (col.Length < (long)channels * kk * nOut) throw new ArgumentException("col is too short");
        if (image.Length < (long)channels * imSize) throw new ArgumentException("image is too short");
        for (int c = 0; c < channels; c++)
            for (int kidx = 0; kidx < kk; kidx++)
            {
                var row = col.Slice((c * kk + kidx) * nOut, nOut);
                var plane = image.Slice(c * imSize, imSize);
                for (int n = 0; n < nOut; n++)
                {
                    int dst = g.Source(kidx, n);
                    if (dst >= 0) plane[dst] += row[n];
                }
            }
    }

    private static int Product(ReadOnlySpan<int> s)
    {
        int p = 1;
        foreach (int v in s) p *= v;
        return p;
    }

    /// <summary>Maps (kernel offset index, output index) to a flat image index, or −1 in the padding.</summary>
    private readonly ref struct Grid(ReadOnlySpan<int> image, ReadOnlySpan<int> kernel, ReadOnlySpan<int> strides,
        ReadOnlySpan<int> padBegin, ReadOnlySpan<int> dilations, ReadOnlySpan<int> outShape)
    {
        private readonly ReadOnlySpan<int> image = image, kernel = kernel, strides = strides, pads = padBegin, dil = dilations, outShape = outShape;

        public int Source(int kidx, int n)
        {
            int flat = 0;
            for (int d = image.Length - 1, kRest = kidx, nRest = n, stride = 1; d >= 0; d--)
            {
                int kd = kRest % kernel[d], od = nRest % outShape[d];
                kRest /= kernel[d];
                nRest /= outShape[d];
                int pos = od * strides[d] - pads[d] + kd * dil[d];
                if ((uint)pos >= (uint)image[d]) return -1;
                flat += pos * stride;
                stride *= image[d];
            }
            return flat;
        }
    }
}
