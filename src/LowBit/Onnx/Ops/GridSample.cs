using LowBit.Kernels;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// GridSample (opset 16: 2-D, modes bilinear/nearest/bicubic; opset 20: N-D, modes linear/nearest/cubic). Output
/// [N, C, grid spatial dims] reads X at the grid's normalized points: grid[..., 0] is x (the last spatial axis),
/// grid[..., 1] is y, and so on. A coordinate g ∈ [−1, 1] maps to pixel u = (g + 1)/2·(n − 1) with align_corners,
/// else u = ((g + 1)·n − 1)/2 (pixel centres). Semantics follow ONNX Runtime: nearest rounds u half-to-even first; then
/// a u outside [lo, hi] ([0, n−1] with align_corners, else [−½, n−½]) is clamped to [0, n−1] (border, except in
/// cubic mode) or mirrored into [lo, hi] (reflection); then each tap index i outside [0, n) reads 0 (zeros), the edge
/// (border) or its mirror (reflection). linear weights 1 − t, t on ⌊u⌋, ⌊u⌋+1; cubic uses Keys' kernel with a = −0.75 on ⌊u⌋−1 … ⌊u⌋+2.
/// Axes are separable: each output point sums the product of per-axis weights over the product of per-axis taps.
/// </summary>
internal static class GridSampleOps
{
    private const double CubicA = -0.75;

    [Op("GridSample", 16)]
    public static Tensor GridSampleV16(Tensor X, Tensor grid, long align_corners = 0, string mode = "bilinear", string padding_mode = "zeros")
    {
        if (X.Rank != 4) throw new ArgumentException($"GridSample: opset 16 takes 4-D X [N, C, H, W], got {X.ShapeString}");
        string m = mode switch
        {
            "bilinear" => "linear",
            "bicubic" => "cubic",
            "nearest" => "nearest",
            _ => throw new ArgumentException($"GridSample: unknown mode '{mode}' (bilinear, nearest or bicubic)"),
        };
        return GridSample(X, grid, align_corners, m, padding_mode);
    }

    [Op("GridSample", 20)]
    public static Tensor GridSample(Tensor X, Tensor grid, long align_corners = 0, string mode = "linear", string padding_mode = "zeros")
    {
        int r = X.Rank, d = r - 2;
        if (r < 3) throw new ArgumentException($"GridSample: X must be [N, C, spatial...], got {X.ShapeString}");
        if (grid.Rank != r || grid.Shape[0] != X.Shape[0] || grid.Shape[^1] != d)
            throw new ArgumentException($"GridSample: grid must be [{X.Shape[0]}, out spatial ({d} dims), {d}], got {grid.ShapeString}");
        int taps = mode switch
        {
            "nearest" => 1,
            "linear" => 2,
            "cubic" => 4,
            _ => throw new ArgumentException($"GridSample: unknown mode '{mode}' (linear, nearest or cubic)"),
        };
        var pad = padding_mode switch
        {
            "zeros" => Padding.Zeros,
            "border" => Padding.Border,
            "reflection" => Padding.Reflection,
            _ => throw new ArgumentException($"GridSample: unknown padding_mode '{padding_mode}' (zeros, border or reflection)"),
        };
        if (align_corners is not (0 or 1)) throw new ArgumentException($"GridSample: align_corners must be 0 or 1, got {align_corners}");
        bool align = align_corners == 1;
        int n = X.Shape[0], ch = X.Shape[1];
        var inDims = X.Shape[2..];
        var outDims = grid.Shape[1..^1];
        var outShape = ShapeArgs.Dims(new[] { n, ch }.Concat(outDims).Select(v => (long)v).ToArray(), "GridSample");
        int inPlane = ShapeArgs.Product(inDims, 0, d), outPlane = ShapeArgs.Product(outDims, 0, d);
        var inStrides = ShapeArgs.Strides(inDims);
        var x = FloatBuffers.Read(X, "GridSample: X");
        var g = FloatBuffers.Read(grid, "GridSample: grid");
        var y = new double[outShape.Aggregate(1, (p, v) => p * v)];
        int combos = (int)Math.Pow(taps, d);
        // Points go in blocks of one image: taps are computed once per point, then each channel sweeps the block, so
        // output writes are contiguous and the block's input neighbourhood stays in cache across channels.
        const int Block = 256;
        Parallelism.ForRange(n * outPlane, Block, (start, end) =>
        {
            var idx = new int[d * taps];
            var wt = new double[d * taps];
            var offs = new int[Block * combos];
            var ws = new double[Block * combos];
            var live = new int[Block];
            for (int p0 = start; p0 < end;)
            {
                int b = p0 / outPlane, p1 = Math.Min(Math.Min(end, p0 + Block), (b + 1) * outPlane);
                for (int p = p0; p < p1; p++)
                {
                    for (int a = 0; a < d; a++)
                    {
                        // grid component k addresses spatial axis d−1−k (x is the innermost axis).
                        int axis = d - 1 - a;
                        AxisTaps(g[(long)p * d + a], inDims[axis], align, mode, pad, idx.AsSpan(axis * taps, taps), wt.AsSpan(axis * taps, taps));
                    }
                    live[p - p0] = Combine(idx, wt, taps, d, inStrides, offs.AsSpan((p - p0) * combos, combos), ws.AsSpan((p - p0) * combos, combos));
                }
                for (int c = 0; c < ch; c++)
                {
                    long src = ((long)b * ch + c) * inPlane, dst = ((long)b * ch + c) * outPlane + p0 % outPlane;
                    for (int t = 0; t < p1 - p0; t++)
                    {
                        double acc = 0;
                        for (int k = t * combos, e = k + live[t]; k < e; k++) acc += ws[k] * x[src + offs[k]];
                        y[dst + t] = acc;
                    }
                }
                p0 = p1;
            }
        });
        return FloatBuffers.Write(y, X.DType, outShape);
    }

    private enum Padding { Zeros, Border, Reflection }

    /// <summary>Taps (index into the axis, or −1 for a zero read) and weights along one axis of length n.</summary>
    private static void AxisTaps(double gv, int n, bool align, string mode, Padding pad, Span<int> idx, Span<double> wt)
    {
        double u = align ? (gv + 1) / 2 * (n - 1) : ((gv + 1) * n - 1) / 2;
        double lo = align ? 0 : -0.5, hi = align ? n - 1 : n - 0.5;
        if (mode == "nearest") u = Math.Round(u, MidpointRounding.ToEven);
        if (u < lo || u > hi)
        {
            // cubic + border clamps each tap instead (a clamped centre would move all four taps onto the edge).
            if (pad == Padding.Border && mode != "cubic") u = Math.Clamp(u, 0, n - 1);
            else if (pad == Padding.Reflection) u = Reflect(u, lo, hi);
        }
        if (mode == "nearest")
        {
            idx[0] = Index((long)u, n, pad, lo, hi);
            wt[0] = 1;
            return;
        }
        double f = Math.Floor(u), t = u - f;
        if (mode == "linear")
        {
            wt[0] = 1 - t;
            wt[1] = t;
        }
        else
        {
            wt[0] = Cubic(t + 1);
            wt[1] = Cubic(t);
            wt[2] = Cubic(1 - t);
            wt[3] = Cubic(2 - t);
        }
        long first = (long)f - (mode == "cubic" ? 1 : 0);
        for (int k = 0; k < idx.Length; k++) idx[k] = Index(first + k, n, pad, lo, hi);
    }

    /// <summary>Keys' cubic convolution kernel W(s) for |s| ≤ 2 with a = −0.75.</summary>
    private static double Cubic(double s)
    {
        s = Math.Abs(s);
        return s <= 1 ? ((CubicA + 2) * s - (CubicA + 3)) * s * s + 1 : ((CubicA * s - 5 * CubicA) * s + 8 * CubicA) * s - 4 * CubicA;
    }

    /// <summary>The element a tap index reads: itself inside [0, n); else −1 (zeros), the nearest edge (border), or the
    /// index mirrored into [lo, hi] and truncated (reflection).</summary>
    private static int Index(long i, int n, Padding pad, double lo, double hi)
    {
        if (i >= 0 && i < n) return (int)i;
        if (n == 0) return -1;
        return pad switch
        {
            Padding.Zeros => -1,
            Padding.Border => i < 0 ? 0 : n - 1,
            _ => (int)Math.Clamp((long)Reflect(i, lo, hi), 0, n - 1),
        };
    }

    /// <summary>Mirrors u into [lo, hi] by repeated reflection at both ends (period 2·(hi − lo)).</summary>
    private static double Reflect(double u, double lo, double hi)
    {
        double range = hi - lo;
        if (range <= 0) return lo;
        if (u >= lo && u <= hi) return u;
        double dist = u < lo ? lo - u : u - hi;
        double k = Math.Floor(dist / range), rem = dist - k * range;
        bool even = k % 2 == 0;
        return u < lo ? (even ? lo + rem : hi - rem) : (even ? hi - rem : lo + rem);
    }

    /// <summary>Expands per-axis taps into (offset, weight) pairs over their product, dropping zero reads.</summary>
    private static int Combine(int[] idx, double[] wt, int taps, int d, long[] strides, Span<int> offs, Span<double> ws)
    {
        int live = 0;
        for (int combo = 0; combo < offs.Length; combo++)
        {
            long off = 0;
            double w = 1;
            int rest = combo;
            bool zero = false;
            for (int a = d - 1; a >= 0; a--, rest /= taps)
            {
                int i = idx[a * taps + rest % taps];
                if (i < 0) { zero = true; break; }
                off += i * strides[a];
                w *= wt[a * taps + rest % taps];
            }
            if (zero) continue;
            offs[live] = (int)off;
            ws[live++] = w;
        }
        return live;
    }
}
