using System.Numerics;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Indexed writes into a copy of data: ScatterElements (and its deprecated alias Scatter), ScatterND; with
/// reduction none (later duplicates win), add, mul, max or min.</summary>
internal static class ScatterOps
{
    [Op("Scatter", 9)]
    public static Tensor Scatter(Tensor data, Tensor indices, Tensor updates, long axis = 0) =>
        ScatterElements(data, indices, updates, axis);

    [Op("ScatterElements", 11)]
    public static Tensor ScatterElements(Tensor data, Tensor indices, Tensor updates, long axis = 0, string reduction = "none")
    {
        if (!updates.Shape.SequenceEqual(indices.Shape))
            throw new ArgumentException($"ScatterElements: updates {updates.ShapeString} must have the shape of indices {indices.ShapeString}");
        int a = ShapeArgs.Axis(axis, data.Rank);
        var map = GatherOps.ElementOffsets(data.Shape, indices, a, "ScatterElements");
        return Apply(data, updates, map, 1, reduction);
    }

    /// <summary>ScatterND: indices [..., k] address blocks of data.shape[k:]; updates = indices.shape[:-1] + data.shape[k:].</summary>
    [Op("ScatterND", 11)]
    public static Tensor ScatterND(Tensor data, Tensor indices, Tensor updates, string reduction = "none")
    {
        var (offsets, inner, shape) = GatherOps.NdOffsets(data.Shape, indices, 0, "ScatterND");
        if (!updates.Shape.SequenceEqual(shape))
            throw new ArgumentException($"ScatterND: updates {updates.ShapeString} must have shape {ShapeArgs.Str(shape)}");
        return Apply(data, updates, offsets, inner, reduction);
    }

    /// <summary>out = copy of data; then for block i, out[offsets[i] ..+block) ⊕= updates[i·block ..+block).</summary>
    private static Tensor Apply(Tensor data, Tensor updates, int[] offsets, int block, string reduction)
    {
        if (updates.DType != data.DType) throw new ArgumentException($"updates are {updates.DType.Name()}, data {data.DType.Name()}");
        int op = reduction switch
        {
            "none" => 0, "add" => 1, "mul" => 2, "max" => 3, "min" => 4,
            _ => throw new ArgumentException($"unknown reduction '{reduction}'"),
        };
        var u = Elements.Unpack(data);
        var upd = Elements.Unpack(updates);
        var y = Tensor.Empty(u.DType, u.Shape);
        Elements.Copy(u, 0, y, 0, u.Length);
        if (op == 0)
        {
            if (block == 1) Elements.Scatter(upd, y, offsets);
            else for (int i = 0; i < offsets.Length; i++) Elements.Copy(upd, i * block, y, offsets[i], block);
        }
        else
            switch (y.DType)
            {
                case DType.Float32: Combine(y.AsSpan<float>(), upd.AsSpan<float>(), offsets, block, op); break;
                case DType.Float64: Combine(y.AsSpan<double>(), upd.AsSpan<double>(), offsets, block, op); break;
                case DType.Float16: Combine(y.AsSpan<Half>(), upd.AsSpan<Half>(), offsets, block, op); break;
                case DType.Int8: Combine(y.AsSpan<sbyte>(), upd.AsSpan<sbyte>(), offsets, block, op); break;
                case DType.UInt8: Combine(y.AsSpan<byte>(), upd.AsSpan<byte>(), offsets, block, op); break;
                case DType.Int16: Combine(y.AsSpan<short>(), upd.AsSpan<short>(), offsets, block, op); break;
                case DType.UInt16: Combine(y.AsSpan<ushort>(), upd.AsSpan<ushort>(), offsets, block, op); break;
                case DType.Int32: Combine(y.AsSpan<int>(), upd.AsSpan<int>(), offsets, block, op); break;
                case DType.UInt32: Combine(y.AsSpan<uint>(), upd.AsSpan<uint>(), offsets, block, op); break;
                case DType.Int64: Combine(y.AsSpan<long>(), upd.AsSpan<long>(), offsets, block, op); break;
                case DType.UInt64: Combine(y.AsSpan<ulong>(), upd.AsSpan<ulong>(), offsets, block, op); break;
                case DType.String: throw new ArgumentException($"reduction '{reduction}' is not defined for strings");
                default: CombineSlow(y, upd, offsets, block, op); break;
            }
        return Elements.Repack(y, data.DType);
    }

    private static void Combine<T>(Span<T> y, ReadOnlySpan<T> upd, int[] offsets, int block, int op) where T : INumber<T>
    {
        for (int i = 0; i < offsets.Length; i++)
            for (int j = 0; j < block; j++)
            {
                ref T x = ref y[offsets[i] + j];
                T v = upd[i * block + j];
                x = op switch { 1 => x + v, 2 => x * v, 3 => T.Max(x, v), _ => T.Min(x, v) };
            }
    }

    /// <summary>bfloat16, float8, bool: through double (exact for these widths).</summary>
    private static void CombineSlow(Tensor y, Tensor upd, int[] offsets, int block, int op)
    {
        for (int i = 0; i < offsets.Length; i++)
            for (int j = 0; j < block; j++)
            {
                int t = offsets[i] + j;
                double x = y.GetDouble(t), v = upd.GetDouble(i * block + j);
                y.SetDouble(t, op switch { 1 => x + v, 2 => x * v, 3 => Math.Max(x, v), _ => Math.Min(x, v) });
            }
    }
}
