using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using LowBit.Kernels.Gemm;

namespace LowBit.Kernels.Conv;

/// <summary>
/// Direct depthwise convolution (group = input channels): output channel co reads only input channel co / multiplier,
/// y[co, oh, ow] = bias[co] + Σ_{kh,kw} w[co, kh, kw]·x[co/multiplier, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw].
/// A GEMM would have K = KH·KW (tiny) per channel, so instead each (kh, kw) tap is an axpy over the valid span of an
/// output row (contiguous when stride is 1). Then residual and activation as in <see cref="GemmEpilogue"/>.
/// </summary>
public static class DepthwiseConv2D
{
    /// <param name="x">One image, [inChannels, H, W] with inChannels = s.Channels.</param>
    /// <param name="weights">[outChannels, KH, KW], outChannels = inChannels · multiplier.</param>
    /// <param name="y">[outChannels, OutH, OutW] for channels [c0, c1).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, in Conv2DShape s, int multiplier,
        Span<float> y, int c0, int c1, scoped in GemmEpilogue epilogue)
    {
        s.Validate();
        int kk = s.KernelH * s.KernelW, plane = s.OutH * s.OutW, inPlane = s.Height * s.Width;
        if (x.Length < s.InputLength || weights.Length < c1 * kk || y.Length < c1 * plane)
            throw new ArgumentException("depthwise convolution spans are shorter than the geometry");
        Span<int> owLo = stackalloc int[s.KernelW];
        Span<int> owHi = stackalloc int[s.KernelW];
        for (int kw = 0; kw < s.KernelW; kw++)
        {
            // ow valid for tap kw: 0 ≤ ow·sw − pl + kw·dw < W.
            int off = kw * s.DilationW - s.PadLeft, sw = s.StrideW;
            owLo[kw] = Math.Min(s.OutW, off >= 0 ? 0 : (-off + sw - 1) / sw);
            owHi[kw] = Math.Max(owLo[kw], Math.Min(s.OutW, off >= s.Width ? 0 : (s.Width - off + sw - 1) / sw));
        }
        for (int co = c0; co < c1; co++)
        {
            var src = x.Slice(co / multiplier * inPlane, inPlane);
            var w = weights.Slice(co * kk, kk);
            var dst = y.Slice(co * plane, plane);
            for (int oh = 0; oh < s.OutH; oh++)
            {
                var row = dst.Slice(oh * s.OutW, s.OutW);
                row.Clear();
                for (int kh = 0; kh < s.KernelH; kh++)
                {
                    int ih = oh * s.StrideH - s.PadTop + kh * s.DilationH;
                    if ((uint)ih >= (uint)s.Height) continue;
                    var inRow = src.Slice(ih * s.Width, s.Width);
                    for (int kw = 0; kw < s.KernelW; kw++)
                    {
                        int lo = owLo[kw], hi = owHi[kw];
                        if (lo >= hi) continue;
                        float wv = w[kh * s.KernelW + kw];
                        int iw = lo * s.StrideW - s.PadLeft + kw * s.DilationW;
                        var o = row.Slice(lo, hi - lo);
                        if (s.StrideW == 1) TensorPrimitives.MultiplyAdd(inRow.Slice(iw, hi - lo), wv, o, o);
                        else
                            for (int t = 0; t < o.Length; t++, iw += s.StrideW) o[t] += wv * inRow[iw];
                    }
                }
                for (int ow = 0; ow < s.OutW; ow++) row[ow] = epilogue.Apply(row[ow], co, oh * s.OutW + ow, plane);
            }
        }
    }
}
