using System.Numerics;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>Clip: y = min(max(x, lo), hi); when lo &gt; hi every element becomes hi (numpy.clip).</summary>
internal static class ClipOps
{
    /// <summary>Opset 11+: bounds are optional scalar inputs of X's type.</summary>
    [Op("Clip", 11)]
    public static Tensor Clip(Tensor input, Tensor? min = null, Tensor? max = null)
    {
        if (min is not null && min.Length != 1) throw new ArgumentException($"min must be a scalar, got {min.ShapeString}");
        if (max is not null && max.Length != 1) throw new ArgumentException($"max must be a scalar, got {max.ShapeString}");
        if (min is not null) Elementwise.SameType(input, min);
        if (max is not null) Elementwise.SameType(input, max);
        return input.DType switch
        {
            DType.Float32 => Run<float>(input, min, max),
            DType.Float64 => Run<double>(input, min, max),
            DType.Int8 => Run<sbyte>(input, min, max),
            DType.UInt8 => Run<byte>(input, min, max),
            DType.Int16 => Run<short>(input, min, max),
            DType.UInt16 => Run<ushort>(input, min, max),
            DType.Int32 => Run<int>(input, min, max),
            DType.UInt32 => Run<uint>(input, min, max),
            DType.Int64 => Run<long>(input, min, max),
            DType.UInt64 => Run<ulong>(input, min, max),
            // Clamping never creates new values, so the float32 round trip is exact.
            DType.Float16 or DType.BFloat16 => Elementwise.ViaFloat32(input, x => Clip(x,
                min is null ? null : Elementwise.ScalarOf(DType.Float32, min.GetDouble(0)),
                max is null ? null : Elementwise.ScalarOf(DType.Float32, max.GetDouble(0)))),
            _ => throw new NotSupportedException($"Clip does not support {input.DType.Name()}"),
        };
    }

    /// <summary>Opset 1–10: bounds are float attributes (absent = unbounded).</summary>
    [Op("Clip", 1)]
    public static Tensor ClipLegacy(Tensor input, float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        Tensor? lo = float.IsNegativeInfinity(min) ? null : Elementwise.ScalarOf(input.DType, min);
        Tensor? hi = float.IsPositiveInfinity(max) ? null : Elementwise.ScalarOf(input.DType, max);
        return Clip(input, lo, hi);
    }

    private static Tensor Run<T>(Tensor x, Tensor? min, Tensor? max) where T : unmanaged, INumber<T>
    {
        var r = Tensor.Empty(x.DType, x.Shape);
        var src = (T[])x.Data;
        var dst = (T[])r.Data;
        T? lo = min is null ? null : ((T[])min.Data)[0];
        T? hi = max is null ? null : ((T[])max.Data)[0];
        Elementwise.Split(x.Length, (s, e) =>
        {
            ReadOnlySpan<T> xs = src.AsSpan(s, e - s);
            var ds = dst.AsSpan(s, e - s);
            if (lo is T l && hi is T h && l <= h) TP.Clamp(xs, l, h, ds);
            else
            {
                xs.CopyTo(ds);
                if (lo is T l2) TP.Max(ds, l2, ds);
                if (hi is T h2) TP.Min(ds, h2, ds);
            }
        });
        return r;
    }
}
