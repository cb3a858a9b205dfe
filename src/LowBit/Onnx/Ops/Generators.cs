using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Ops that make new tensors from small arguments: Range, EyeLike, OneHot; and Trilu (triangle mask).</summary>
internal static class Generators
{
    /// <summary>out[i] = start + i·delta for i &lt; n = max(⌈(limit − start)/delta⌉, 0); n is checked before allocation.</summary>
    [Op("Range", 11)]
    public static Tensor Range(Tensor start, Tensor limit, Tensor delta)
    {
        if (start.Length != 1 || limit.Length != 1 || delta.Length != 1)
            throw new ArgumentException("Range: start, limit and delta must be scalars");
        var t = start.DType;
        if (limit.DType != t || delta.DType != t) throw new ArgumentException("Range: start, limit and delta must have one type");
        long n;
        if (t.IsInteger())
        {
            long s = start.GetInt64(0), l = limit.GetInt64(0), d = delta.GetInt64(0);
            if (d == 0) throw new ArgumentException("Range: delta must not be 0");
            Int128 span = (Int128)l - s;
            Int128 count = d > 0 ? (span + d - 1) / d : (span + d + 1) / d;
            n = count <= 0 ? 0 : count > Tensor.MaxElements ? Tensor.MaxElements + 1 : (long)count;
        }
        else
        {
            double s = start.GetDouble(0), l = limit.GetDouble(0), d = delta.GetDouble(0);
            double c = Math.Ceiling((l - s) / d);
            if (double.IsNaN(c) || double.IsInfinity(c)) throw new ArgumentException($"Range: start {s}, limit {l}, delta {d} give no finite length");
            n = c <= 0 ? 0 : c > Tensor.MaxElements ? Tensor.MaxElements + 1 : (long)c;
        }
        var shape = ShapeArgs.Dims(new[] { n }, "Range");
        var y = Tensor.Empty(t, shape);
        switch (t)
        {
            case DType.Int64:
            {
                long s = start.GetInt64(0), d = delta.GetInt64(0);
                var o = y.AsSpan<long>();
                for (int i = 0; i < o.Length; i++) o[i] = s + i * d;
                break;
            }
            case DType.Float32:
            {
                float s = start.AsSpan<float>()[0], d = delta.AsSpan<float>()[0];
                var o = y.AsSpan<float>();
                for (int i = 0; i < o.Length; i++) o[i] = s + i * d;
                break;
            }
            default:
            {
                double s = start.GetDouble(0), d = delta.GetDouble(0);
                for (int i = 0; i < n; i++) y.SetDouble(i, s + i * d);
                break;
            }
        }
        return y;
    }

    /// <summary>2-D identity-like tensor: ones where column − row = k.</summary>
    [Op("EyeLike", 9)]
    public static Tensor EyeLike(Tensor input, long? dtype = null, long k = 0)
    {
        if (input.Rank != 2) throw new ArgumentException($"EyeLike: input must be 2-D, got {input.ShapeString}");
        var t = dtype is long d ? (DType)d : input.DType;
        int rows = input.Shape[0], cols = input.Shape[1];
        var y = Tensor.Zeros(t, rows, cols);
        k = Math.Clamp(k, -(long)rows - 1, (long)cols + 1);
        for (long i = Math.Max(0, -k); i < rows && i + k < cols; i++) y.SetDouble((int)(i * cols + i + k), 1);
        return y;
    }

    /// <summary>out has a new dim of size depth at axis; out[.., j, ..] = on when j = indices[..] (negative indices count
    /// from depth), off elsewhere; indices outside [−depth, depth) give an all-off row.</summary>
    [Op("OneHot", 9)]
    public static Tensor OneHot(Tensor indices, Tensor depth, Tensor values, long axis = -1)
    {
        if (depth.Length != 1) throw new ArgumentException("OneHot: depth must be a scalar or one-element tensor");
        if (values.Length != 2) throw new ArgumentException("OneHot: values must be [off_value, on_value]");
        double dd = depth.GetDouble(0);
        if (!(dd >= 1) || dd > Tensor.MaxElements) throw new ArgumentException($"OneHot: depth {dd} is out of range");
        long dep = (long)dd;
        int r = indices.Rank, a = ShapeArgs.Axis(axis, r + 1);
        var dims = indices.Shape.Select(x => (long)x).ToList();
        dims.Insert(a, dep);
        var shape = ShapeArgs.Dims(dims, "OneHot");
        var v = Elements.Unpack(values);
        var y = Tensor.Empty(v.DType, shape);
        Elements.Fill(y, 0, y.Length, v, 0);
        int outer = ShapeArgs.Product(indices.Shape, 0, a), inner = ShapeArgs.Product(indices.Shape, a, r);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double raw = indices.GetDouble(o * inner + i);
                long j = (long)raw;
                if (j < 0) j += dep;
                if (j < 0 || j >= dep) continue;
                Elements.Fill(y, (int)((o * dep + j) * inner + i), 1, v, 1);
            }
        return Elements.Repack(y, values.DType);
    }

    /// <summary>Keeps the upper (column − row ≥ k) or lower (column − row ≤ k) triangle of the last two dims; zeros elsewhere.</summary>
    [Op("Trilu", 14)]
    public static Tensor Trilu(Tensor input, Tensor? k = null, long upper = 1)
    {
        if (input.Rank < 2) throw new ArgumentException($"Trilu: input must have rank ≥ 2, got {input.ShapeString}");
        long kk = k is null ? 0 : ShapeArgs.Longs(k)[0];
        kk = Math.Clamp(kk, -(long)input.Shape[^2] - 1, (long)input.Shape[^1] + 1);
        var u = Elements.Unpack(input);
        var y = Tensor.Empty(u.DType, u.Shape);
        Elements.Copy(u, 0, y, 0, u.Length);
        var zero = Tensor.Zeros(u.DType, 1);
        if (u.DType == DType.String) zero.AsSpan<string>()[0] = "";
        int rows = u.Shape[^2], cols = u.Shape[^1], mats = ShapeArgs.Product(u.Shape, 0, u.Rank - 2);
        for (int m = 0; m < mats; m++)
            for (int i = 0; i < rows; i++)
            {
                int row = (m * rows + i) * cols;
                long edge = i + kk;
                if (upper != 0) Elements.Fill(y, row, (int)Math.Clamp(edge, 0, cols), zero);
                else
                {
                    int from = (int)Math.Clamp(edge + 1, 0, cols);
                    Elements.Fill(y, row + from, cols - from, zero);
                }
            }
        return Elements.Repack(y, input.DType);
    }
}
