using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Data-dependent selection: NonZero, TopK.</summary>
internal static class Selection
{
    /// <summary>int64 [rank, nnz]: the coordinates of the non-zero elements in row-major order (a scalar counts as 1-D).</summary>
    [Op("NonZero", 9)]
    public static Tensor NonZero(Tensor x)
    {
        var shape = x.Rank == 0 ? new[] { 1 } : x.Shape;
        int r = shape.Length;
        var hits = new List<int>();
        if (x.DType == DType.String)
        {
            var s = x.AsSpan<string>();
            for (int i = 0; i < s.Length; i++) if (!string.IsNullOrEmpty(s[i])) hits.Add(i);
        }
        else
            for (int i = 0; i < x.Length; i++) if (x.GetDouble(i) != 0) hits.Add(i);
        var y = Tensor.Empty(DType.Int64, r, hits.Count);
        var o = y.AsSpan<long>();
        var strides = ShapeArgs.Strides(shape);
        for (int j = 0; j < hits.Count; j++)
        {
            long rest = hits[j];
            for (int d = 0; d < r; d++)
            {
                o[d * hits.Count + j] = rest / strides[d];
                rest %= strides[d];
            }
        }
        return y;
    }

    /// <summary>TopK-1: k as attribute.</summary>
    [Op("TopK", 1)]
    public static Tensor?[] TopKV1(Tensor x, long k, long axis = -1) => DoTopK(x, k, axis, true);

    /// <summary>TopK-10/11: K as input; largest/sorted from 11 (results are always sorted; ties keep the lower index first).</summary>
    [Op("TopK", 10)]
    public static Tensor?[] TopK(Tensor x, Tensor k, long axis = -1, long largest = 1, long sorted = 1)
    {
        if (k.Length != 1) throw new ArgumentException($"TopK: K must have one element, got {k.ShapeString}");
        return DoTopK(x, ShapeArgs.Longs(k)[0], axis, largest != 0);
    }

    private static Tensor?[] DoTopK(Tensor x, long k, long axis, bool largest)
    {
        int r = x.Rank, a = ShapeArgs.Axis(axis, r), n = x.Shape[a];
        if (k < 0 || k > n) throw new ArgumentException($"TopK: k {k} is out of range for a dim of size {n}");
        var shape = (int[])x.Shape.Clone();
        shape[a] = (int)k;
        var u = Elements.Unpack(x);
        var values = Tensor.Empty(u.DType, shape);
        var indices = Tensor.Empty(DType.Int64, shape);
        int outer = ShapeArgs.Product(x.Shape, 0, a), inner = ShapeArgs.Product(x.Shape, a + 1, r);
        bool exactInt = x.DType is DType.Int64 or DType.UInt64;
        var order = new int[n];
        var keys = new double[n];
        var longKeys = new long[n];
        var map = new int[values.Length];
        var idx = indices.AsSpan<long>();
        int sign = largest ? -1 : 1;
        Comparison<int> cmp = exactInt
            ? (p, q) => { int c = sign * longKeys[p].CompareTo(longKeys[q]); return c != 0 ? c : p.CompareTo(q); }
            : (p, q) => { int c = sign * keys[p].CompareTo(keys[q]); return c != 0 ? c : p.CompareTo(q); };
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int baseIn = o * n * inner + i;
                for (int j = 0; j < n; j++)
                {
                    order[j] = j;
                    if (exactInt) longKeys[j] = x.GetInt64(baseIn + j * inner);
                    else keys[j] = x.GetDouble(baseIn + j * inner);
                }
                Array.Sort(order, cmp);
                int baseOut = o * (int)k * inner + i;
                for (int j = 0; j < k; j++)
                {
                    map[baseOut + j * inner] = baseIn + order[j] * inner;
                    idx[baseOut + j * inner] = order[j];
                }
            }
        Elements.Gather(u, values, map);
        return new Tensor?[] { Elements.Repack(values, x.DType), indices };
    }
}
