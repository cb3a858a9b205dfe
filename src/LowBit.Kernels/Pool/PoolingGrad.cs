using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LowBit.Kernels.Pool;

/// <summary>
/// Backward of max and average pooling for one plane (the adjoints of <see cref="Pooling.Max{T}"/> and
/// <see cref="Pooling.Average{T}"/>, same window geometry). dx is overwritten (cleared, then accumulated), so
/// overlapping windows add up. Callers parallelize over planes.
/// </summary>
public static class PoolingGrad
{
    /// <summary>
    /// dx[argmax of window o] += dy[o], the argmax found again from x with the forward's rule (the first element of
    /// the window in scan order wins ties; a NaN never replaces a value), so no index tensor has to be kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward(ReadOnlySpan<float> x, PoolShape s, ReadOnlySpan<float> dy, Span<float> dx)
    {
        Check(x.Length, dy.Length, dx.Length, s);
        if (s.Rank == 2 && s.Kernel[0] == 2 && s.Kernel[1] == 2 && s.Strides[0] == 2 && s.Strides[1] == 2
            && s.PadBegin[0] == 0 && s.PadBegin[1] == 0 && s.Dilations[0] == 1 && s.Dilations[1] == 1
            && 2 * s.Output[0] <= s.Input[0] && 2 * s.Output[1] <= s.Input[1])
        {
            Max2x2(x, s, dy, dx);
            return;
        }
        dx[..s.InputSize].Clear();
        int rank = s.Rank;
        Span<int> oc = stackalloc int[rank];
        Span<int> kc = stackalloc int[rank];
        for (int o = 0; o < s.OutputSize; o++)
        {
            int bestAt = -1;
            float best = 0;
            if (PoolWindow.StartWindow(s, oc, kc))
            {
                do
                {
                    int i = PoolWindow.WindowIndex(s, oc, kc);
                    float v = x[i];
                    if (bestAt < 0 || v > best) { best = v; bestAt = i; }
                }
                while (PoolWindow.NextInWindow(s, oc, kc));
            }
            if (bestAt >= 0) dx[bestAt] += dy[o];
            PoolWindow.Next(oc, s.Output);
        }
    }

    /// <summary>
    /// 2×2 windows, stride 2, no padding (every input in at most one window): the first maximum of (a, b, c, d) in scan
    /// order picked with compares and selects instead of unpredictable branches (windows of equal zeros after ReLU are
    /// common, and ties must still route the gradient to exactly one element). With AVX2, 8 windows at a time: the two
    /// input rows are split into even and odd columns (a, b from the top row, c, d from the bottom), one-hot masks
    /// mask dY, and the results are interleaved back. dx is written completely (uncovered edge rows/columns zeroed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Max2x2(ReadOnlySpan<float> x, PoolShape s, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int h = s.Input[0], w = s.Input[1], outH = s.Output[0], outW = s.Output[1];
        fixed (float* px = x, pg = dy, pd = dx)
        {
            for (int oh = 0; oh < outH; oh++)
            {
                float* r0 = px + 2L * oh * w, r1 = r0 + w, d0 = pd + 2L * oh * w, d1 = d0 + w, g = pg + (long)oh * outW;
                int ow = 0;
                if (Avx2.IsSupported)
                    for (; ow + 8 <= outW; ow += 8)
                    {
                        int c0 = 2 * ow;
                        var (a, b) = SplitEvenOdd(Avx.LoadVector256(r0 + c0), Avx.LoadVector256(r0 + c0 + 8));
                        var (c, d) = SplitEvenOdd(Avx.LoadVector256(r1 + c0), Avx.LoadVector256(r1 + c0 + 8));
                        var gv = Avx.LoadVector256(g + ow);
                        var selB = Avx.CompareGreaterThan(b, a);
                        var m = Avx.BlendVariable(a, b, selB);
                        var selC = Avx.CompareGreaterThan(c, m);
                        m = Avx.BlendVariable(m, c, selC);
                        var selD = Avx.CompareGreaterThan(d, m);
                        var gd = Avx.And(gv, selD);
                        var gc = Avx.AndNot(selD, Avx.And(gv, selC));
                        var gb = Avx.AndNot(Avx.Or(selC, selD), Avx.And(gv, selB));
                        var ga = Avx.AndNot(Avx.Or(selB, Avx.Or(selC, selD)), gv);
                        StoreInterleaved(ga, gb, d0 + c0);
                        StoreInterleaved(gc, gd, d1 + c0);
                    }
                for (; ow < outW; ow++)
                {
                    int c0 = 2 * ow;
                    float a = r0[c0], b = r0[c0 + 1], c = r1[c0], d = r1[c0 + 1];
                    int at = b > a ? 1 : 0;
                    float m = b > a ? b : a;
                    at = c > m ? 2 : at;
                    m = c > m ? c : m;
                    at = d > m ? 3 : at;
                    float gv = g[ow];
                    d0[c0] = at == 0 ? gv : 0f;
                    d0[c0 + 1] = at == 1 ? gv : 0f;
                    d1[c0] = at == 2 ? gv : 0f;
                    d1[c0 + 1] = at == 3 ? gv : 0f;
                }
                for (int col = 2 * outW; col < w; col++) d0[col] = d1[col] = 0f;
            }
            new Span<float>(pd + 2L * outH * w, (h - 2 * outH) * w).Clear();
        }
    }

    /// <summary>(v0 ‖ v1) as 16 floats → (even-indexed 8, odd-indexed 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Even, Vector256<float> Odd) SplitEvenOdd(Vector256<float> v0, Vector256<float> v1)
    {
        var order = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var p0 = Avx2.PermuteVar8x32(v0, order);
        var p1 = Avx2.PermuteVar8x32(v1, order);
        return (Avx.Permute2x128(p0, p1, 0x20), Avx.Permute2x128(p0, p1, 0x31));
    }

    /// <summary>dst[2i] = e[i], dst[2i + 1] = o[i] for i &lt; 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreInterleaved(Vector256<float> e, Vector256<float> o, float* dst)
    {
        var lo = Avx.UnpackLow(e, o);
        var hi = Avx.UnpackHigh(e, o);
        Avx.Store(dst, Avx.Permute2x128(lo, hi, 0x20));
        Avx.Store(dst + 8, Avx.Permute2x128(lo, hi, 0x31));
    }

    /// <summary>dx[window o] += dy[o] / divisor with the forward's divisor: the in-image count, or with
    /// <paramref name="countIncludePad"/> the count inside image + pads (never beyond the end pad in ceil mode).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AverageBackward(PoolShape s, bool countIncludePad, ReadOnlySpan<float> dy, Span<float> dx)
    {
        Check(s.InputSize, dy.Length, dx.Length, s);
        dx[..s.InputSize].Clear();
        int rank = s.Rank;
        Span<int> oc = stackalloc int[rank];
        Span<int> kc = stackalloc int[rank];
        for (int o = 0; o < s.OutputSize; o++)
        {
            int count = 1, padded = 1;
            for (int d = 0; d < rank; d++)
            {
                var (lo, hi) = s.Valid[d][oc[d]];
                count *= hi - lo;
                padded *= s.Padded[d][oc[d]];
            }
            int divisor = countIncludePad ? padded : count;
            if (count > 0 && PoolWindow.StartWindow(s, oc, kc))
            {
                float g = dy[o] / divisor;
                if (rank == 2)
                {
                    int hs = oc[0] * s.Strides[0] - s.PadBegin[0], ws = oc[1] * s.Strides[1] - s.PadBegin[1];
                    int dh = s.Dilations[0], dw = s.Dilations[1], width = s.Input[1];
                    var (hl, hh) = s.Valid[0][oc[0]];
                    var (wl, wh) = s.Valid[1][oc[1]];
                    for (int kh = hl; kh < hh; kh++)
                    {
                        int row = (hs + kh * dh) * width + ws;
                        for (int kw = wl; kw < wh; kw++) dx[row + kw * dw] += g;
                    }
                }
                else
                    do dx[PoolWindow.WindowIndex(s, oc, kc)] += g;
                    while (PoolWindow.NextInWindow(s, oc, kc));
            }
            PoolWindow.Next(oc, s.Output);
        }
    }

    private static void Check(int xLen, int dyLen, int dxLen, PoolShape s)
    {
        if (xLen < s.InputSize || dxLen < s.InputSize) throw new ArgumentException("pooling input or its gradient is shorter than the geometry");
        if (dyLen < s.OutputSize) throw new ArgumentException("pooling output gradient is shorter than the geometry");
    }
}
