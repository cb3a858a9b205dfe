using System.Numerics;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>ArgMax, ArgMin and CumSum: single-axis ops walking the input as [outer, n, inner].</summary>
internal static class ArgCum
{
    /// <summary>Index (int64) of the first maximum along <paramref name="axis"/>, or the last with select_last_index.
    /// NaN counts as larger than every number (numpy).</summary>
    [Op("ArgMax", 1)]
    public static Tensor ArgMax(Tensor data, long axis = 0, long keepdims = 1, long select_last_index = 0) =>
        Arg(data, axis, keepdims != 0, select_last_index != 0, max: true);

    [Op("ArgMin", 1)]
    public static Tensor ArgMin(Tensor data, long axis = 0, long keepdims = 1, long select_last_index = 0) =>
        Arg(data, axis, keepdims != 0, select_last_index != 0, max: false);

    /// <summary>Running sum along <c>axis</c> (a scalar input); <c>exclusive</c> shifts by one (starting at 0), <c>reverse</c>
    /// runs from the end.</summary>
    [Op("CumSum", 11)]
    public static Tensor CumSum(Tensor x, Tensor axis, long exclusive = 0, long reverse = 0)
    {
        if (axis.Length != 1) throw new ArgumentException($"axis must be a scalar, got {axis.ShapeString}");
        int ax = Elementwise.NormalizeAxes([axis.GetInt64(0)], x.Rank)[0];
        return x.DType switch
        {
            DType.Float32 => CumSum<float>(x, ax, exclusive != 0, reverse != 0),
            DType.Float64 => CumSum<double>(x, ax, exclusive != 0, reverse != 0),
            DType.Int32 => CumSum<int>(x, ax, exclusive != 0, reverse != 0),
            DType.Int64 => CumSum<long>(x, ax, exclusive != 0, reverse != 0),
            DType.UInt32 => CumSum<uint>(x, ax, exclusive != 0, reverse != 0),
            DType.UInt64 => CumSum<ulong>(x, ax, exclusive != 0, reverse != 0),
            DType.Float16 or DType.BFloat16 => Elementwise.ViaFloat32(x, f => CumSum<float>(f, ax, exclusive != 0, reverse != 0)),
            _ => throw new NotSupportedException($"CumSum does not support {x.DType.Name()}"),
        };
    }

    private static (int Outer, int N, int Inner) Split(int[] shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[axis], inner);
    }

    private static Tensor CumSum<T>(Tensor x, int axis, bool exclusive, bool reverse) where T : unmanaged, INumber<T>
    {
        var r = Tensor.Empty(x.DType, x.Shape);
        var (outer, n, inner) = Split(x.Shape, axis);
        var src = x.AsReadOnlySpan<T>();
        var dst = r.AsSpan<T>();
        for (int o = 0; o < outer; o++)
        {
            int start = o * n * inner;
            for (int k = 0; k < n; k++)
            {
                // Row j of the scan in walking order; prev is the row written just before.
                int j = reverse ? n - 1 - k : k;
                var row = dst.Slice(start + j * inner, inner);
                if (k == 0)
                {
                    if (exclusive) row.Clear();
                    else src.Slice(start + j * inner, inner).CopyTo(row);
                    continue;
                }
                int p = reverse ? j + 1 : j - 1;
                var prev = dst.Slice(start + p * inner, inner);
                TP.Add(prev, src.Slice(start + (exclusive ? p : j) * inner, inner), row);
            }
        }
        return r;
    }

    private static Tensor Arg(Tensor data, long axis, bool keepDims, bool last, bool max)
    {
        if (data.DType is DType.Float16 or DType.BFloat16)
        {
            var f = Elementwise.ToFloat32(data);
            var r = Arg(f, axis, keepDims, last, max);
            Elementwise.Release(f);
            return r;
        }
        return data.DType switch
        {
            DType.Float32 => Arg<float>(data, axis, keepDims, last, max),
            DType.Float64 => Arg<double>(data, axis, keepDims, last, max),
            DType.Int8 => Arg<sbyte>(data, axis, keepDims, last, max),
            DType.UInt8 => Arg<byte>(data, axis, keepDims, last, max),
            DType.Int16 => Arg<short>(data, axis, keepDims, last, max),
            DType.UInt16 => Arg<ushort>(data, axis, keepDims, last, max),
            DType.Int32 => Arg<int>(data, axis, keepDims, last, max),
            DType.UInt32 => Arg<uint>(data, axis, keepDims, last, max),
            DType.Int64 => Arg<long>(data, axis, keepDims, last, max),
            DType.UInt64 => Arg<ulong>(data, axis, keepDims, last, max),
            _ => throw new NotSupportedException($"{(max ? "ArgMax" : "ArgMin")} does not support {data.DType.Name()}"),
        };
    }

    private static Tensor Arg<T>(Tensor data, long axis, bool keepDims, bool last, bool max) where T : unmanaged, INumber<T>
    {
        int ax = Elementwise.NormalizeAxes([axis], data.Rank)[0];
        var (outer, n, inner) = Split(data.Shape, ax);
        if (n == 0) throw new ArgumentException("cannot take the arg max/min over an empty axis");
        var r = Tensor.Empty(DType.Int64, Elementwise.ReducedShape(data.Shape, [ax], keepDims));
        var src = data.AsReadOnlySpan<T>();
        var dst = r.AsSpan<long>();
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int b = 0;
                T best = src[o * n * inner + i];
                for (int k = 1; k < n; k++)
                {
                    T v = src[(o * n + k) * inner + i];
                    if (Better(v, best, max, last)) { best = v; b = k; }
                }
                dst[o * inner + i] = b;
            }
        }
        return r;
    }

    /// <summary>Whether v replaces the current best: strictly better, or equal when the last index is wanted. A NaN beats
    /// every number and the first NaN is kept (unless the last is wanted).</summary>
    private static bool Better<T>(T v, T best, bool max, bool last) where T : INumber<T>
    {
        if (T.IsNaN(best)) return last && T.IsNaN(v);
        if (T.IsNaN(v)) return true;
        return max ? (v > best || (last && v == best)) : (v < best || (last && v == best));
    }
}
