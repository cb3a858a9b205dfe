using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Pad. pads = [b_0 … b_{r−1}, e_0 … e_{r−1}] adds b_d elements before and e_d after dim d (negative values crop);
/// out_d = n_d + b_d + e_d. Modes: constant (value), edge (nearest element), reflect (mirror without repeating the edge,
/// period 2(n−1)), wrap (periodic, period n).
/// </summary>
internal static class PadOps
{
    /// <summary>Pad-1: 'paddings' attribute.</summary>
    [Op("Pad", 1)]
    public static Tensor PadV1(Tensor data, long[] paddings, string mode = "constant", float value = 0f) =>
        DoPad(data, paddings, null, mode, ValueOf(data.DType, value));

    /// <summary>Pad-2: 'pads' attribute, float 'value'.</summary>
    [Op("Pad", 2)]
    public static Tensor PadV2(Tensor data, long[] pads, string mode = "constant", float value = 0f) =>
        DoPad(data, pads, null, mode, ValueOf(data.DType, value));

    /// <summary>Pad-11/13/18/19: pads, constant_value and (18) axes as inputs.</summary>
    [Op("Pad", 11)]
    public static Tensor Pad(Tensor data, Tensor pads, Tensor? constant_value = null, Tensor? axes = null, string mode = "constant")
    {
        Tensor value;
        if (constant_value is null || constant_value.Length == 0) value = ValueOf(data.DType, 0);
        else if (constant_value.DType != data.DType) throw new ArgumentException($"Pad: constant_value is {constant_value.DType.Name()}, data {data.DType.Name()}");
        else value = constant_value.DType.IsPacked4() ? ValueOf(data.DType, constant_value.GetDouble(0)) : constant_value;
        return DoPad(data, ShapeArgs.Longs(pads), axes is null ? null : ShapeArgs.Longs(axes), mode, value);
    }

    /// <summary>A one-element tensor of the (unpacked) storage type holding <paramref name="v"/>.</summary>
    private static Tensor ValueOf(DType dtype, double v)
    {
        if (dtype == DType.String) return Tensor.Scalar(v == 0 ? "" : v.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (dtype.IsPacked4())
        {
            var t = Tensor.Zeros(dtype, 1);
            t.SetDouble(0, v);
            return Elements.Unpack(t);
        }
        var s = Tensor.FromStorage(dtype, Array.CreateInstance(dtype.StorageType(), 1), 1);
        s.SetDouble(0, v);
        return s;
    }

    private static Tensor DoPad(Tensor data, long[] pads, long[]? axes, string mode, Tensor value)
    {
        int r = data.Rank;
        var ax = axes is null ? Enumerable.Range(0, r).ToArray() : ShapeArgs.Axes(axes, r);
        if (pads.Length != 2 * ax.Length)
            throw new ArgumentException($"Pad: {pads.Length} pads for {ax.Length} axes (need begin and end for each)");
        var begin = new long[r];
        var end = new long[r];
        for (int i = 0; i < ax.Length; i++)
        {
            begin[ax[i]] = pads[i];
            end[ax[i]] = pads[i + ax.Length];
        }
        var outDims = new long[r];
        for (int d = 0; d < r; d++)
        {
            // Any |pad| > MaxElements is refused by the shape check; clamp first so the sum cannot overflow.
            long b = Math.Clamp(begin[d], -Tensor.MaxElements - 1, Tensor.MaxElements + 1);
            long e = Math.Clamp(end[d], -Tensor.MaxElements - 1, Tensor.MaxElements + 1);
            outDims[d] = data.Shape[d] + b + e;
            if (outDims[d] < 0) throw new ArgumentException($"Pad: pads [{string.Join(",", pads)}] crop dim {d} of {data.ShapeString} below zero");
            begin[d] = b;
        }
        var shape = ShapeArgs.Dims(outDims, "Pad");
        var u = Elements.Unpack(data);
        var y = Tensor.Empty(u.DType, shape);
        if (mode == "constant") Constant(u, y, begin, value);
        else
        {
            for (int d = 0; d < r; d++)
                if (u.Shape[d] == 0 && shape[d] > 0) throw new ArgumentException($"Pad: mode '{mode}' cannot pad the empty dim {d} of {data.ShapeString}");
            var map = Map(u.Shape, shape, begin, mode);
            Elements.Gather(u, y, map);
        }
        return Elements.Repack(y, data.DType);
    }

    /// <summary>Fills y with the value, then copies the kept input region (input index i ↦ output index i + b_d).</summary>
    private static void Constant(Tensor u, Tensor y, long[] begin, Tensor value)
    {
        Elements.Fill(y, 0, y.Length, value);
        int r = u.Rank;
        var region = new int[r];
        long srcOff = 0, dstOff = 0;
        var ss = ShapeArgs.Strides(u.Shape);
        var ds = ShapeArgs.Strides(y.Shape);
        for (int d = 0; d < r; d++)
        {
            long s0 = Math.Max(0, -begin[d]), d0 = Math.Max(0, begin[d]);
            region[d] = (int)Math.Max(0, Math.Min(u.Shape[d] - s0, y.Shape[d] - d0));
            srcOff += s0 * ss[d];
            dstOff += d0 * ds[d];
        }
        if (region.Contains(0)) return;
        Elements.StridedCopy(u, srcOff, ss, y, dstOff, ds, region);
    }

    /// <summary>Source element of every output element for edge/reflect/wrap, built per dim then combined row-major.</summary>
    private static int[] Map(int[] inShape, int[] outShape, long[] begin, string mode)
    {
        int r = inShape.Length;
        var ss = ShapeArgs.Strides(inShape);
        var perDim = new long[r][];
        for (int d = 0; d < r; d++)
        {
            int n = inShape[d];
            perDim[d] = new long[outShape[d]];
            for (int o = 0; o < outShape[d]; o++)
                perDim[d][o] = Source(o - begin[d], n, mode) * ss[d];
        }
        var map = new int[ShapeArgs.Product(outShape, 0, r)];
        var idx = new int[r];
        for (int i = 0; i < map.Length; i++)
        {
            long off = 0;
            for (int d = 0; d < r; d++) off += perDim[d][idx[d]];
            map[i] = (int)off;
            for (int d = r - 1; d >= 0 && ++idx[d] == outShape[d]; d--) idx[d] = 0;
        }
        return map;
    }

    private static long Source(long i, int n, string mode)
    {
        if (i >= 0 && i < n) return i;
        switch (mode)
        {
            case "edge": return Math.Clamp(i, 0, n - 1);
            case "wrap": return ((i % n) + n) % n;
            case "reflect":
                if (n == 1) return 0;
                long p = 2L * (n - 1), m = ((i % p) + p) % p;
                return m < n ? m : p - m;
            default: throw new ArgumentException($"Pad: unknown mode '{mode}'");
        }
    }
}
