using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Validation of axes and shape arguments shared by the layout ops. All shape arithmetic is int64 until a
/// dimension is proven to fit (≤ <see cref="Tensor.MaxElements"/> elements in total).</summary>
internal static class ShapeArgs
{
    /// <summary>Normalizes an axis in [−rank, rank) to [0, rank).</summary>
    public static int Axis(long axis, int rank, string what = "axis")
    {
        if (axis < -rank || axis >= rank)
            throw new ArgumentException($"{what} {axis} is out of range for rank {rank}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>Normalizes a list of axes; duplicates are errors.</summary>
    public static int[] Axes(IReadOnlyList<long> axes, int rank, string what = "axes")
    {
        var r = new int[axes.Count];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = Axis(axes[i], rank, what);
            for (int j = 0; j < i; j++)
                if (r[j] == r[i]) throw new ArgumentException($"{what} [{string.Join(",", axes)}] repeat axis {r[i]}");
        }
        return r;
    }

    /// <summary>int64 dims → int dims, refusing negative dims and totals over <see cref="Tensor.MaxElements"/> before any
    /// allocation (a hostile shape such as [2^40] fails here).</summary>
    public static int[] Dims(IReadOnlyList<long> dims, string what)
    {
        var shape = new int[dims.Count];
        long n = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = dims[i];
            if (d < 0) throw new LowBitException(ErrorKind.InvalidInput, $"{what}: negative dimension {d} in [{string.Join(",", dims)}]");
            // Zero dims are skipped in the product: [0, 2^40] is still refused (no runtime takes such a dim).
            if (d > Tensor.MaxElements || (n *= Math.Max(d, 1)) > Tensor.MaxElements)
                throw new LowBitException(ErrorKind.InvalidInput, $"{what}: shape [{string.Join(",", dims)}] has more than {Tensor.MaxElements} elements");
            shape[i] = (int)d;
        }
        return shape;
    }

    /// <summary>Elements of an int32/int64 tensor (shape, axes, indices inputs).</summary>
    public static long[] Longs(Tensor t)
    {
        if (t.DType is not (DType.Int64 or DType.Int32 or DType.Int16 or DType.Int8 or DType.UInt8 or DType.UInt16 or DType.UInt32 or DType.UInt64))
            throw new ArgumentException($"expected an integer tensor, got {t.DType.Name()}");
        return t.ToInt64Array();
    }

    /// <summary>Row-major element strides as int64.</summary>
    public static long[] Strides(int[] shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>Product of dims in [from, to).</summary>
    public static int Product(int[] shape, int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return checked((int)p);
    }

    public static string Str(IEnumerable<int> shape) => "[" + string.Join(",", shape) + "]";
}
