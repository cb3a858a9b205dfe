using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LowBit.Kernels.Pool;

/// <summary>
/// Max, average and Lp pooling of one plane (spatial dims of one (n, c)), any rank. Windows visit only the valid
/// kernel offsets precomputed in <see cref="PoolShape"/>, so the inner loops carry no bounds checks on padding.
/// Callers parallelize over planes.
/// </summary>
public static class Pooling
{
    /// <summary>
    /// y[o] = max over the window's in-image elements (the first wins ties; NaN never replaces a value).
    /// When <paramref name="indices"/> is not empty it receives <paramref name="indexBase"/> + the flat input index of the
    /// maximum, row-major or (<paramref name="columnMajor"/>) with the spatial dims reversed as ONNX storage_order = 1.
    /// A window with no in-image element yields T.MinValue-like "lowest" and index −1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Max<T>(ReadOnlySpan<T> x, PoolShape s, Span<T> y, Span<long> indices, long indexBase, bool columnMajor)
        where T : struct, INumber<T>, IMinMaxValue<T>
    {
        CheckSpans(x.Length, y.Length, s);
        if (typeof(T) == typeof(float) && indices.IsEmpty && s.Rank == 2)
        {
            MaxFloat2D(MemoryMarshal.Cast<T, float>(x), s, MemoryMarshal.Cast<T, float>(y));
            return;
        }
        bool wantIdx = !indices.IsEmpty;
        int rank = s.Rank;
        Span<int> oc = stackalloc int[rank];
        Span<int> kc = stackalloc int[rank];
        Span<int> pos = stackalloc int[rank];
        for (int o = 0; o < s.OutputSize; o++)
        {
            T best = T.MinValue;
            int bestAt = -1;
            if (rank == 2)
            {
                int hs = oc[0] * s.Strides[0] - s.PadBegin[0], ws = oc[1] * s.Strides[1] - s.PadBegin[1];
                int dh = s.Dilations[0], dw = s.Dilations[1], width = s.Input[1];
                var (hl, hh) = s.Valid[0][oc[0]];
                var (wl, wh) = s.Valid[1][oc[1]];
                for (int kh = hl; kh < hh; kh++)
                {
                    int row = (hs + kh * dh) * width + ws;
                    for (int kw = wl; kw < wh; kw++)
                    {
                        int i = row + kw * dw;
                        T v = x[i];
                        if (bestAt < 0 || v > best) { best = v; bestAt = i; }
                    }
                }
            }
            else if (PoolWindow.StartWindow(s, oc, kc))
            {
                do
                {
                    int i = PoolWindow.WindowIndex(s, oc, kc);
                    T v = x[i];
                    if (bestAt < 0 || v > best) { best = v; bestAt = i; }
                }
                while (PoolWindow.NextInWindow(s, oc, kc));
            }
            y[o] = best;
            if (wantIdx) indices[o] = bestAt < 0 ? -1 : indexBase + (columnMajor ? ColumnMajor(bestAt, s.Input, pos) : bestAt);
            PoolWindow.Next(oc, s.Output);
        }
    }

    /// <summary>
    /// float 2-D max without indices, separably: per output row, the element-wise max of the window's input rows
    /// (vectors over the whole row), then per output the max of its window's columns in that row. Every step is
    /// MaxNative(new, kept) = vmaxps, which returns kept unless new &gt; kept: the scan's <c>v &gt; m ? v : m</c>, without
    /// branches (data-dependent branches mispredicted on real images and made this 5× slower).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxFloat2D(ReadOnlySpan<float> x, PoolShape s, Span<float> y)
    {
        int width = s.Input[1], outW = s.Output[1], sh = s.Strides[0], sw = s.Strides[1], dh = s.Dilations[0], dw = s.Dilations[1];
        float[]? rented = width > 2048 ? new float[width] : null;
        Span<float> rowMaxSpan = rented ?? stackalloc float[width];
        var colValid = s.Valid[1];
        fixed (float* px = x, py = y, rowMax = rowMaxSpan)
        {
            for (int oh = 0; oh < s.Output[0]; oh++)
            {
                float* dst = py + (long)oh * outW;
                var (hl, hh) = s.Valid[0][oh];
                if (hl >= hh)
                {
                    new Span<float>(dst, outW).Fill(float.MinValue);
                    continue;
                }
                int hs = oh * sh - s.PadBegin[0];
                float* first = px + (long)(hs + hl * dh) * width;
                if (hh - hl == 1) new Span<float>(first, width).CopyTo(new Span<float>(rowMax, width));
                else
                    for (int kh = hl + 1; kh < hh; kh++)
                    {
                        float* other = px + (long)(hs + kh * dh) * width;
                        float* a = kh == hl + 1 ? first : rowMax;
                        int i = 0;
                        if (Vector256.IsHardwareAccelerated)
                            for (; i + 8 <= width; i += 8)
                                Vector256.MaxNative(Vector256.Load(other + i), Vector256.Load(a + i)).Store(rowMax + i);
                        for (; i < width; i++)
                            rowMax[i] = Vector128.MaxNative(Vector128.CreateScalarUnsafe(other[i]), Vector128.CreateScalarUnsafe(a[i])).ToScalar();
                    }
                for (int ow = 0; ow < outW; ow++)
                {
                    var (wl, wh) = colValid[ow];
                    if (wl >= wh) { dst[ow] = float.MinValue; continue; }
                    float* p = rowMax + ow * sw - s.PadBegin[1] + wl * dw;
                    // Branch-free (vmaxss): on real data the comparisons are unpredictable and mispredicts dominated.
                    var m = Vector128.CreateScalarUnsafe(*p);
                    for (int kw = wl + 1; kw < wh; kw++)
                    {
                        p += dw;
                        m = Vector128.MaxNative(Vector128.CreateScalarUnsafe(*p), m);
                    }
                    dst[ow] = m.ToScalar();
                }
            }
        }
    }

    /// <summary>
    /// y[o] = (Σ window) / divisor: the in-image count, or with <paramref name="countIncludePad"/> the count of offsets
    /// inside image + pads (never the part of a ceil-mode window beyond the end pad). Sums in T, in window order.
    /// </summary>
    public static void Average<T>(ReadOnlySpan<T> x, PoolShape s, bool countIncludePad, Span<T> y) where T : IFloatingPointIeee754<T> =>
        Reduce(x, s, y, new AverageOp<T>(countIncludePad));

    /// <summary>y[o] = (Σ |x|^p)^(1/p) over the in-image window (padding contributes 0).</summary>
    public static void Lp<T>(ReadOnlySpan<T> x, PoolShape s, double p, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        if (p == 2) Reduce(x, s, y, new L2Op<T>());
        else if (p == 1) Reduce(x, s, y, new L1Op<T>());
        else Reduce(x, s, y, new LpOp<T>(T.CreateTruncating(p)));
    }

    private interface IReduceOp<T>
    {
        T Map(T v);
        T Finish(T sum, int count, int padded);
    }

    private readonly struct AverageOp<T>(bool includePad) : IReduceOp<T> where T : IFloatingPointIeee754<T>
    {
        public T Map(T v) => v;
        public T Finish(T sum, int count, int padded) => sum / T.CreateTruncating(includePad ? padded : count);
    }

    private readonly struct L2Op<T> : IReduceOp<T> where T : IFloatingPointIeee754<T>
    {
        public T Map(T v) => v * v;
        public T Finish(T sum, int count, int padded) => T.Sqrt(sum);
    }

    private readonly struct L1Op<T> : IReduceOp<T> where T : IFloatingPointIeee754<T>
    {
        public T Map(T v) => T.Abs(v);
        public T Finish(T sum, int count, int padded) => sum;
    }

    private readonly struct LpOp<T>(T p) : IReduceOp<T> where T : IFloatingPointIeee754<T>
    {
        public T Map(T v) => T.Pow(T.Abs(v), p);
        public T Finish(T sum, int count, int padded) => T.Pow(sum, T.One / p);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Reduce<T, TOp>(ReadOnlySpan<T> x, PoolShape s, Span<T> y, TOp op)
        where T : IFloatingPointIeee754<T> where TOp : struct, IReduceOp<T>
    {
        CheckSpans(x.Length, y.Length, s);
        int rank = s.Rank;
        Span<int> oc = stackalloc int[rank];
        Span<int> kc = stackalloc int[rank];
        for (int o = 0; o < s.OutputSize; o++)
        {
            T sum = T.Zero;
            int count = 1, padded = 1;
            for (int d = 0; d < rank; d++)
            {
                var (lo, hi) = s.Valid[d][oc[d]];
                count *= hi - lo;
                padded *= s.Padded[d][oc[d]];
            }
            if (rank == 2)
            {
                int hs = oc[0] * s.Strides[0] - s.PadBegin[0], ws = oc[1] * s.Strides[1] - s.PadBegin[1];
                int dh = s.Dilations[0], dw = s.Dilations[1], width = s.Input[1];
                var (hl, hh) = s.Valid[0][oc[0]];
                var (wl, wh) = s.Valid[1][oc[1]];
                for (int kh = hl; kh < hh; kh++)
                {
                    int row = (hs + kh * dh) * width + ws;
                    for (int kw = wl; kw < wh; kw++) sum += op.Map(x[row + kw * dw]);
                }
            }
            else if (PoolWindow.StartWindow(s, oc, kc))
            {
                do sum += op.Map(x[PoolWindow.WindowIndex(s, oc, kc)]);
                while (PoolWindow.NextInWindow(s, oc, kc));
            }
            y[o] = op.Finish(sum, count, padded);
            PoolWindow.Next(oc, s.Output);
        }
    }

    /// <summary>Row-major flat index → index with the dims' order reversed (first dim fastest).</summary>
    private static int ColumnMajor(int flat, int[] shape, Span<int> pos)
    {
        for (int d = shape.Length - 1; d >= 0; d--) { pos[d] = flat % shape[d]; flat /= shape[d]; }
        int r = 0;
        for (int d = shape.Length - 1; d >= 0; d--) r = r * shape[d] + pos[d];
        return r;
    }

    private static void CheckSpans(int xLen, int yLen, PoolShape s)
    {
        if (xLen < s.InputSize) throw new ArgumentException("pooling input is shorter than the geometry");
        if (yLen < s.OutputSize) throw new ArgumentException("pooling output is shorter than the geometry");
    }
}
