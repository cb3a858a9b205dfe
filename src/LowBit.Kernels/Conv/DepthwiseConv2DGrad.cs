using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace LowBit.Kernels.Conv;

/// <summary>
/// Backward of <see cref="DepthwiseConv2D"/> for one image. With ci = co / multiplier and (ih, iw) = (oh·sh − pt + kh·dh,
/// ow·sw − pl + kw·dw):
/// <code>
/// dx[ci, ih, iw]  += Σ_{co, kh, kw} w[co, kh, kw]·dy[co, oh, ow]
/// dw[co, kh, kw]  += Σ_{oh, ow} dy[co, oh, ow]·x[ci, ih, iw]
/// </code>
/// Each (tap, output row) is one axpy (dx) and one dot product (dw) over the valid span of the row, contiguous when the
/// stride is 1. Output channels [c0, c1) must own their input channels (whole multiples of <c>multiplier</c>) so that
/// callers can split channels across threads without races.
/// </summary>
public static class DepthwiseConv2DGrad
{
    /// <param name="x">One image [inChannels, H, W].</param>
    /// <param name="weights">[outChannels, KH, KW].</param>
    /// <param name="dy">Gradient of the output, [outChannels, OutH, OutW].</param>
    /// <param name="dx">[inChannels, H, W], accumulated; empty to skip.</param>
    /// <param name="dw">[outChannels, KH, KW], accumulated; empty to skip.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> dy, in Conv2DShape s, int multiplier,
        Span<float> dx, Span<float> dw, int c0, int c1)
    {
        s.Validate();
        int kk = s.KernelH * s.KernelW, plane = s.OutH * s.OutW, inPlane = s.Height * s.Width;
        bool wantDx = !dx.IsEmpty, wantDw = !dw.IsEmpty;
        if (x.Length < s.InputLength || weights.Length < c1 * kk || dy.Length < c1 * plane
            || (wantDx && dx.Length < s.InputLength) || (wantDw && dw.Length < c1 * kk))
            throw new ArgumentException("depthwise convolution gradient spans are shorter than the geometry");
        if (multiplier < 1 || c0 % multiplier != 0 || c1 % multiplier != 0)
            throw new ArgumentException("the channel range must cover whole input channels");
        Span<int> owLo = stackalloc int[s.KernelW];
        Span<int> owHi = stackalloc int[s.KernelW];
        ConvGrad2D.ValidColumns(s, owLo, owHi);
        for (int co = c0; co < c1; co++)
        {
            int ci = co / multiplier;
            var src = x.Slice(ci * inPlane, inPlane);
            var dst = wantDx ? dx.Slice(ci * inPlane, inPlane) : default;
            var w = weights.Slice(co * kk, kk);
            var g = dy.Slice(co * plane, plane);
            for (int oh = 0; oh < s.OutH; oh++)
            {
                var gRow = g.Slice(oh * s.OutW, s.OutW);
                for (int kh = 0; kh < s.KernelH; kh++)
                {
                    int ih = oh * s.StrideH - s.PadTop + kh * s.DilationH;
                    if ((uint)ih >= (uint)s.Height) continue;
                    var inRow = src.Slice(ih * s.Width, s.Width);
                    var dxRow = wantDx ? dst.Slice(ih * s.Width, s.Width) : default;
                    for (int kw = 0; kw < s.KernelW; kw++)
                    {
                        int lo = owLo[kw], hi = owHi[kw];
                        if (lo >= hi) continue;
                        int tap = kh * s.KernelW + kw, iw = lo * s.StrideW - s.PadLeft + kw * s.DilationW;
                        var seg = gRow.Slice(lo, hi - lo);
                        if (s.StrideW == 1)
                        {
                            if (wantDx)
                            {
                                var d = dxRow.Slice(iw, seg.Length);
                                TensorPrimitives.MultiplyAdd(seg, w[tap], d, d);
                            }
                            if (wantDw) dw[co * kk + tap] += TensorPrimitives.Dot(seg, inRow.Slice(iw, seg.Length));
                        }
                        else
                        {
                            float wv = w[tap], acc = 0;
                            for (int t = 0, i = iw; t < seg.Length; t++, i += s.StrideW)
                            {
                                if (wantDx) dxRow[i] += wv * seg[t];
                                acc += seg[t] * inRow[i];
                            }
                            if (wantDw) dw[co * kk + tap] += acc;
                        }
                    }
                }
            }
        }
    }
}
