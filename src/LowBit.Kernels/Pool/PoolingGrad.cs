using System.Runtime.CompilerServices;

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
        dx[..s.InputSize].Clear();
        if (s.Rank == 2 && s.Kernel[0] == 2 && s.Kernel[1] == 2 && s.Strides[0] == 2 && s.Strides[1] == 2
            && s.PadBegin[0] == 0 && s.PadBegin[1] == 0 && s.Dilations[0] == 1 && s.Dilations[1] == 1
            && 2 * s.Output[0] <= s.Input[0] && 2 * s.Output[1] <= s.Input[1])
        {
            Max2x2(x, s, dy, dx);
            return;
        }
        int rank = s.Rank;
        Span<int> oc = stackalloc int[rank];
        Span<int> kc = stackalloc int[rank];
        for (int o = 0; o < s.OutputSize; o++)
        {
            int bestAt = -1;
            float best = 0;
            if (StartWindow(s, oc, kc))
            {
                do
                {
                    int i = WindowIndex(s, oc, kc);
                    float v = x[i];
                    if (bestAt < 0 || v > best) { best = v; bestAt = i; }
                }
                while (NextInWindow(s, oc, kc));
            }
            if (bestAt >= 0) dx[bestAt] += dy[o];
            Next(oc, s.Output);
        }
    }

    /// <summary>
    /// 2×2 windows, stride 2, no padding (every input in at most one window): the first maximum of (a, b, c, d) in scan
    /// order picked with selects instead of unpredictable branches (windows of equal zeros after ReLU are common, and
    /// ties must still route the gradient to exactly one element).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Max2x2(ReadOnlySpan<float> x, PoolShape s, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int w = s.Input[1], outH = s.Output[0], outW = s.Output[1];
        for (int oh = 0; oh < outH; oh++)
        {
            var r0 = x.Slice(2 * oh * w, w);
            var r1 = x.Slice((2 * oh + 1) * w, w);
            var d0 = dx.Slice(2 * oh * w, w);
            var d1 = dx.Slice((2 * oh + 1) * w, w);
            var g = dy.Slice(oh * outW, outW);
            for (int ow = 0; ow < outW; ow++)
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
        }
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
            if (count > 0 && StartWindow(s, oc, kc))
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
                    do dx[WindowIndex(s, oc, kc)] += g;
                    while (NextInWindow(s, oc, kc));
            }
            Next(oc, s.Output);
        }
    }

    private static bool StartWindow(PoolShape s, ReadOnlySpan<int> oc, Span<int> kc)
    {
        for (int d = 0; d < kc.Length; d++)
        {
            var (lo, hi) = s.Valid[d][oc[d]];
            if (lo >= hi) return false;
            kc[d] = lo;
        }
        return true;
    }

    private static int WindowIndex(PoolShape s, ReadOnlySpan<int> oc, ReadOnlySpan<int> kc)
    {
        int flat = 0;
        for (int d = 0; d < kc.Length; d++) flat = flat * s.Input[d] + (oc[d] * s.Strides[d] - s.PadBegin[d] + kc[d] * s.Dilations[d]);
        return flat;
    }

    private static bool NextInWindow(PoolShape s, ReadOnlySpan<int> oc, Span<int> kc)
    {
        for (int d = kc.Length - 1; d >= 0; d--)
        {
            if (++kc[d] < s.Valid[d][oc[d]].Hi) return true;
            kc[d] = s.Valid[d][oc[d]].Lo;
        }
        return false;
    }

    private static void Next(Span<int> idx, int[] shape)
    {
        for (int d = idx.Length - 1; d >= 0; d--)
        {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }

    private static void Check(int xLen, int dyLen, int dxLen, PoolShape s)
    {
        if (xLen < s.InputSize || dxLen < s.InputSize) throw new ArgumentException("pooling input or its gradient is shorter than the geometry");
        if (dyLen < s.OutputSize) throw new ArgumentException("pooling output gradient is shorter than the geometry");
    }
}
