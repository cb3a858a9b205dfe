using System.Numerics;
using System.Numerics.Tensors;
using LowBit.Kernels;
using LowBit.Tensors;
using Tensor = LowBit.Tensors.Tensor;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Separable resampling for <see cref="ResizeOps"/>. Per axis a table gives, for each output index j, taps (input
/// indices, edge-clamped) and weights; nearest uses one tap and moves raw elements (any dtype), linear/cubic run one
/// pass per resized axis in float64 over the view [outer, n, inner].
///
/// Taps follow the ONNX reference: with x the input coordinate, x₀ = ⌊x⌋ and t = x − x₀ (t = 1, x₀ = x − 1 when x is
/// an integer), tap i ∈ [start, start + count) reads x₀ + i with weight k((i − t)·σ), normalized to sum 1, where σ = 1,
/// or min(scale, 1) with antialias. Linear: k(u) = max(0, 1 − |u|), start = ⌊−1/σ⌋ + 1, count = 2 − 2·start.
/// Cubic (Keys, coefficient A): k(u) = (A+2)|u|³ − (A+3)|u|² + 1 for |u| ≤ 1, A|u|³ − 5A|u|² + 8A|u| − 4A for
/// 1 &lt; |u| &lt; 2, else 0; start = ⌊−2/σ⌋ + 1, count = 2 − 2·start. exclude_outside zeroes taps outside [0, n) first.
/// </summary>
internal static class ResizeKernels
{
    private sealed record Axis(int[] Taps, double[] Weights, int Count, bool[] Extrapolate);

    public static Tensor Run(Tensor x, int[] outShape, double[] scales, ResizeSpec spec)
    {
        int r = x.Rank;
        if (spec.Mode is not ("nearest" or "linear" or "cubic")) throw new ArgumentException($"Resize: unknown mode '{spec.Mode}'");
        var tables = new Axis?[r];
        for (int d = 0; d < r; d++)
        {
            // An axis with scale 1 and unchanged length is copied as is (as ONNX Runtime does), even where a coordinate
            // mode would shift it (tf_half_pixel_for_nn maps j to j + 0.5, which ceil rounds up).
            if (scales[d] == 1 && x.Shape[d] == outShape[d] && spec.Coordinates != "tf_crop_and_resize") continue;
            var t = Table(x.Shape[d], outShape[d], scales[d], d, spec);
            tables[d] = IsIdentity(t, x.Shape[d], outShape[d]) ? null : t;
        }
        return spec.Mode == "nearest" ? Nearest(x, outShape, tables, spec) : Interpolate(x, outShape, tables, spec);
    }

    /// <summary>
    /// Input coordinate of output index j (ONNX coordinate_transformation_mode), in float32 like ONNX Runtime so that
    /// nearest-neighbour ties (x exactly k + 0.5 in real arithmetic) resolve the same way. As in the ONNX reference, the
    /// resized length is n·scale, fractional when the integer size m was rounded down from scales (ONNX Runtime uses m
    /// for align_corners and tf_crop_and_resize, so those two differ from it for non-integral n·scale).
    /// </summary>
    private static float Coordinate(int j, int n, int m, double scale, int d, ResizeSpec spec)
    {
        float s = (float)scale, x = j, len = n * s;
        return spec.Coordinates switch
        {
            "half_pixel" => (x + 0.5f) / s - 0.5f,
            "half_pixel_symmetric" => n / 2f * (1 - m / len) + (x + 0.5f) / s - 0.5f,
            "pytorch_half_pixel" => len > 1 ? (x + 0.5f) / s - 0.5f : 0,
            "align_corners" => len == 1 ? 0 : x * (n - 1) / (len - 1),
            "asymmetric" => x / s,
            "tf_half_pixel_for_nn" => (x + 0.5f) / s,
            "tf_crop_and_resize" => len > 1
                ? (float)spec.RoiStart![d] * (n - 1) + x * (float)(spec.RoiEnd![d] - spec.RoiStart[d]) * (n - 1) / (len - 1)
                : 0.5f * (float)(spec.RoiStart![d] + spec.RoiEnd![d]) * (n - 1),
            _ => throw new ArgumentException($"Resize: unknown coordinate_transformation_mode '{spec.Coordinates}'"),
        };
    }

    private static Axis Table(int n, int m, double s, int d, ResizeSpec spec)
    {
        bool nearest = spec.Mode == "nearest";
        double sigma = spec.Antialias && !nearest ? Math.Min(s, 1) : 1;
        int start = nearest ? 0 : (int)Math.Floor((spec.Mode == "cubic" ? -2 : -1) / sigma) + 1;
        int count = nearest ? 1 : 2 - 2 * start;
        var taps = new int[m * count];
        var weights = new double[m * count];
        var extrap = new bool[m];
        for (int j = 0; j < m; j++)
        {
            double xo = Coordinate(j, n, m, s, d, spec);
            if (spec.Coordinates == "tf_crop_and_resize" && (xo < 0 || xo > n - 1)) { extrap[j] = true; continue; }
            if (n == 0) continue;
            if (nearest)
            {
                taps[j] = (int)Math.Clamp(NearestIndex(xo, s, spec.NearestMode), 0, n - 1);
                weights[j] = 1;
                continue;
            }
            double x0 = Math.Floor(xo), t = xo - x0;
            if (t == 0) { t = 1; x0 -= 1; }
            double sum = 0;
            for (int i = 0; i < count; i++)
            {
                long idx = (long)x0 + start + i;
                double w = Kernel((start + i - t) * sigma, spec);
                if (spec.ExcludeOutside && (idx < 0 || idx >= n)) w = 0;
                taps[j * count + i] = (int)Math.Clamp(idx, 0, n - 1);
                weights[j * count + i] = w;
                sum += w;
            }
            if (sum != 0) for (int i = 0; i < count; i++) weights[j * count + i] /= sum;
        }
        return new Axis(taps, weights, count, extrap);
    }

    private static double Kernel(double u, ResizeSpec spec)
    {
        u = Math.Abs(u);
        if (spec.Mode == "linear") return Math.Max(0, 1 - u);
        double a = spec.CubicA;
        if (u <= 1) return ((a + 2) * u - (a + 3)) * u * u + 1;
        if (u < 2) return ((a * u - 5 * a) * u + 8 * a) * u - 4 * a;
        return 0;
    }

    private static double NearestIndex(double x, double scale, string mode)
    {
        double f = Math.Floor(x);
        if (x == f) return x;
        return mode switch
        {
            "round_prefer_floor" => x - f <= 0.5 ? f : f + 1,
            "round_prefer_ceil" => x - f < 0.5 ? f : f + 1,
            "floor" => f,
            "ceil" => f + 1,
            "legacy" => scale < 1 ? f + 1 : Math.Truncate(x),
            _ => throw new ArgumentException($"Resize: unknown nearest_mode '{mode}'"),
        };
    }

    private static bool IsIdentity(Axis t, int n, int m)
    {
        if (n != m) return false;
        for (int j = 0; j < m; j++)
        {
            if (t.Extrapolate[j]) return false;
            for (int i = 0; i < t.Count; i++)
            {
                double w = t.Weights[j * t.Count + i];
                if (w != 0 && (w != 1 || t.Taps[j * t.Count + i] != j)) return false;
            }
        }
        return true;
    }

    /// <summary>Nearest: a row-major gather map from the per-axis taps; extrapolated positions get the extrapolation value.</summary>
    private static Tensor Nearest(Tensor x, int[] outShape, Axis?[] tables, ResizeSpec spec)
    {
        var u = Elements.Unpack(x);
        var y = Tensor.Empty(u.DType, outShape);
        int r = outShape.Length;
        if (y.Length == 0) return Elements.Repack(y, x.DType);
        var strides = ShapeArgs.Strides(x.Shape);
        var map = new int[y.Length];
        var outside = new List<int>();
        var idx = new int[r];
        for (int k = 0; k < map.Length; k++)
        {
            long off = 0;
            bool ext = false;
            for (int d = 0; d < r; d++)
            {
                var t = tables[d];
                if (t is not null && t.Extrapolate[idx[d]]) ext = true;
                off += (t is null ? idx[d] : t.Taps[idx[d]]) * strides[d];
            }
            map[k] = ext ? 0 : (int)off;
            if (ext) outside.Add(k);
            for (int d = r - 1; d >= 0 && ++idx[d] == outShape[d]; d--) idx[d] = 0;
        }
        Elements.Gather(u, y, map);
        if (outside.Count > 0)
        {
            var v = Tensor.FromStorage(u.DType, Array.CreateInstance(u.DType.StorageType(), 1), 1);
            v.SetDouble(0, spec.Extrapolation);
            foreach (int k in outside) Elements.Fill(y, k, 1, v);
        }
        return Elements.Repack(y, x.DType);
    }

    /// <summary>Linear/cubic: one pass per resized axis, out[o, j, i] = Σ_k w[j,k]·in[o, tap[j,k], i], in float32
    /// (float64 for float64 input); integer outputs round half to even.</summary>
    private static Tensor Interpolate(Tensor x, int[] outShape, Axis?[] tables, ResizeSpec spec)
    {
        if (!x.DType.IsFloat() && !x.DType.IsInteger()) throw new ArgumentException($"Resize: mode '{spec.Mode}' needs numeric input, got {x.DType.Name()}");
        var y = Tensor.Empty(x.DType, outShape);
        if (x.DType == DType.Float64)
        {
            var r = Passes(x.ToDoubleArray(), x.Shape, outShape, tables, spec.Extrapolation);
            r.AsSpan(0, y.Length).CopyTo(y.AsSpan<double>());
            return y;
        }
        float[] input;
        if (x.DType == DType.Float32) input = (float[])x.Data;
        else if (x.DType == DType.Float16) { input = new float[x.Length]; TensorPrimitives.ConvertToSingle(x.AsSpan<Half>(), input); }
        else input = x.ToFloatArray();
        var cur = Passes(input, x.Shape, outShape, tables, (float)spec.Extrapolation);
        switch (x.DType)
        {
            case DType.Float32: cur.AsSpan(0, y.Length).CopyTo(y.AsSpan<float>()); break;
            case DType.Float16: TensorPrimitives.ConvertToHalf(cur.AsSpan(0, y.Length), y.AsSpan<Half>()); break;
            default:
                bool integer = x.DType.IsInteger();
                for (int i = 0; i < y.Length; i++) y.SetDouble(i, integer ? Math.Round(cur[i], MidpointRounding.ToEven) : cur[i]);
                break;
        }
        return y;
    }

    private static T[] Passes<T>(T[] cur, int[] inShape, int[] outShape, Axis?[] tables, T extrapolation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = (int[])inShape.Clone();
        for (int d = 0; d < shape.Length; d++)
        {
            if (tables[d] is not Axis t) continue;
            int outer = ShapeArgs.Product(shape, 0, d), inner = ShapeArgs.Product(shape, d + 1, shape.Length);
            int n = shape[d], m = outShape[d];
            var next = new T[checked(outer * m * inner)];
            var w = t.Weights.Select(T.CreateTruncating).ToArray();
            var src = cur;
            // Rows o are independent: split them over the session's threads when there is enough work.
            Parallelism.ForRange(outer, Math.Max(1, (1 << 15) / Math.Max(1, m * inner * t.Count)), (o0, o1) =>
            {
                for (int o = o0; o < o1; o++) Pass(src, next, o, n, m, inner, t, w, extrapolation);
            });
            cur = next;
            shape[d] = m;
        }
        return cur;
    }

    private static void Pass<T>(T[] cur, T[] next, int o, int n, int m, int inner, Axis t, T[] w, T extrapolation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = t.Count;
        if (inner == 1)
        {
            // Resampling the last axis: scalar taps over one row, no per-element span calls.
            ReadOnlySpan<T> srow = cur.AsSpan(o * n, n);
            Span<T> drow = next.AsSpan(o * m, m);
            ReadOnlySpan<int> taps = t.Taps;
            ReadOnlySpan<T> ws = w;
            for (int j = 0, jc = 0; j < drow.Length; j++, jc += c)
            {
                if (t.Extrapolate[j]) { drow[j] = extrapolation; continue; }
                T acc = T.Zero;
                for (int k = 0; k < c; k++) acc += ws[jc + k] * srow[taps[jc + k]];
                drow[j] = acc;
            }
            return;
        }
        for (int j = 0; j < m; j++)
        {
            var dst = next.AsSpan((o * m + j) * inner, inner);
            if (t.Extrapolate[j]) { dst.Fill(extrapolation); continue; }
            for (int k = 0; k < c; k++)
            {
                T wk = w[j * c + k];
                if (wk == T.Zero) continue;
                TensorPrimitives.MultiplyAdd(cur.AsSpan((o * n + t.Taps[j * c + k]) * inner, inner), wk, dst, dst);
            }
        }
    }
}
