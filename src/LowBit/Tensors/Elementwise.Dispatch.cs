using System.Numerics;

namespace LowBit.Tensors;

/// <summary>A binary tensor kernel written once for any numeric storage type; <see cref="Elementwise.Numeric{K}"/>
/// instantiates it for the element type of its inputs.</summary>
internal interface IBinaryKernel
{
    static abstract Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T>;
}

/// <summary>A binary tensor kernel for integer storage types (int8 … uint64).</summary>
internal interface IIntegerBinaryKernel
{
    static abstract Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, IBinaryInteger<T>;
}

/// <summary>A binary tensor kernel for IEEE floating types (float16/bfloat16 run as float32).</summary>
internal interface IFloatBinaryKernel
{
    static abstract Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>A unary span kernel for any numeric type (d and x have equal length; d may alias x).</summary>
internal interface INumericKernel
{
    static abstract void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>;
}

/// <summary>A unary span kernel for IEEE floating types (float32, float64; float16/bfloat16 run as float32).</summary>
internal interface IFloatKernel
{
    static abstract void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
}

internal static partial class Elementwise
{
    /// <summary>Runs <typeparamref name="K"/> for the (common) element type of <paramref name="a"/> and <paramref name="b"/>.
    /// float16/bfloat16 compute in float32 and round back when the result is float.</summary>
    public static Tensor Numeric<K>(Tensor a, Tensor b) where K : IBinaryKernel
    {
        SameType(a, b);
        return a.DType switch
        {
            DType.Float32 => K.Run<float>(a, b),
            DType.Float64 => K.Run<double>(a, b),
            DType.Int8 => K.Run<sbyte>(a, b),
            DType.UInt8 => K.Run<byte>(a, b),
            DType.Int16 => K.Run<short>(a, b),
            DType.UInt16 => K.Run<ushort>(a, b),
            DType.Int32 => K.Run<int>(a, b),
            DType.UInt32 => K.Run<uint>(a, b),
            DType.Int64 => K.Run<long>(a, b),
            DType.UInt64 => K.Run<ulong>(a, b),
            DType.Float16 or DType.BFloat16 => ViaFloat32<K>(a, b),
            _ => throw new NotSupportedException($"element type {a.DType.Name()} is not supported here"),
        };
    }

    /// <summary>Runs <typeparamref name="K"/> for integer inputs.</summary>
    public static Tensor Integer<K>(Tensor a, Tensor b) where K : IIntegerBinaryKernel
    {
        SameType(a, b);
        return a.DType switch
        {
            DType.Int8 => K.Run<sbyte>(a, b),
            DType.UInt8 => K.Run<byte>(a, b),
            DType.Int16 => K.Run<short>(a, b),
            DType.UInt16 => K.Run<ushort>(a, b),
            DType.Int32 => K.Run<int>(a, b),
            DType.UInt32 => K.Run<uint>(a, b),
            DType.Int64 => K.Run<long>(a, b),
            DType.UInt64 => K.Run<ulong>(a, b),
            _ => throw new NotSupportedException($"element type {a.DType.Name()} is not supported here (integers only)"),
        };
    }

    /// <summary>Runs <typeparamref name="K"/> for floating inputs (float16/bfloat16 through float32).</summary>
    public static Tensor Floating<K>(Tensor a, Tensor b) where K : IFloatBinaryKernel
    {
        SameType(a, b);
        return a.DType switch
        {
            DType.Float32 => K.Run<float>(a, b),
            DType.Float64 => K.Run<double>(a, b),
            DType.Float16 or DType.BFloat16 => ViaFloat32(a, b, K.Run<float>),
            _ => throw new NotSupportedException($"element type {a.DType.Name()} is not supported here (floating point only)"),
        };
    }

    /// <summary>Runs a binary float32 function on float32 copies of float16/bfloat16 inputs; a float32 result is rounded back.</summary>
    public static Tensor ViaFloat32(Tensor a, Tensor b, Func<Tensor, Tensor, Tensor> f)
    {
        Tensor fa = ToFloat32(a), fb = ToFloat32(b);
        var r = f(fa, fb);
        Release(fa, r);
        Release(fb, r);
        return r.DType == DType.Float32 ? FromFloat32(r, a.DType) : r;
    }

    /// <summary>Applies a numeric span kernel to every element (same shape and type out).</summary>
    public static Tensor Numeric<K>(Tensor x) where K : INumericKernel => x.DType switch
    {
        DType.Float32 => Unary<float, K>(x),
        DType.Float64 => Unary<double, K>(x),
        DType.Int8 => Unary<sbyte, K>(x),
        DType.UInt8 => Unary<byte, K>(x),
        DType.Int16 => Unary<short, K>(x),
        DType.UInt16 => Unary<ushort, K>(x),
        DType.Int32 => Unary<int, K>(x),
        DType.UInt32 => Unary<uint, K>(x),
        DType.Int64 => Unary<long, K>(x),
        DType.UInt64 => Unary<ulong, K>(x),
        DType.Float16 or DType.BFloat16 => ViaFloat32(x, Unary<float, K>),
        _ => throw new NotSupportedException($"element type {x.DType.Name()} is not supported here"),
    };

    /// <summary>Applies a floating-point span kernel to every element (float types only).</summary>
    public static Tensor Float<K>(Tensor x) where K : IFloatKernel => x.DType switch
    {
        DType.Float32 => FloatUnary<float, K>(x),
        DType.Float64 => FloatUnary<double, K>(x),
        DType.Float16 or DType.BFloat16 => ViaFloat32(x, FloatUnary<float, K>),
        _ => throw new NotSupportedException($"element type {x.DType.Name()} is not supported here (floating point only)"),
    };

    private static Tensor Unary<T, K>(Tensor x) where T : unmanaged, INumber<T> where K : INumericKernel
    {
        var r = Tensor.Empty(x.DType, x.Shape);
        var src = (T[])x.Data;
        var dst = (T[])r.Data;
        Split(x.Length, (s, e) => K.Run<T>(src.AsSpan(s, e - s), dst.AsSpan(s, e - s)));
        return r;
    }

    private static Tensor FloatUnary<T, K>(Tensor x) where T : unmanaged, IFloatingPointIeee754<T> where K : IFloatKernel
    {
        var r = Tensor.Empty(x.DType, x.Shape);
        var src = (T[])x.Data;
        var dst = (T[])r.Data;
        Split(x.Length, (s, e) => K.Run<T>(src.AsSpan(s, e - s), dst.AsSpan(s, e - s)));
        return r;
    }

    /// <summary>Maps a float-only unary operator over a tensor (float32 vectorized; float16/bfloat16 via float32).</summary>
    public static Tensor MapFloat<TOp>(Tensor x, TOp op) where TOp : struct, IVectorUnaryOp<float>, IUnaryOp<double>
    {
        switch (x.DType)
        {
            case DType.Float32:
            {
                var r = Tensor.Empty(DType.Float32, x.Shape);
                var src = (float[])x.Data;
                var dst = (float[])r.Data;
                Split(x.Length, (s, e) => MapVector(src.AsSpan(s, e - s), dst.AsSpan(s, e - s), op));
                return r;
            }
            case DType.Float64:
            {
                var r = Tensor.Empty(DType.Float64, x.Shape);
                var src = (double[])x.Data;
                var dst = (double[])r.Data;
                Split(x.Length, (s, e) => Map<double, TOp>(src.AsSpan(s, e - s), dst.AsSpan(s, e - s), op));
                return r;
            }
            case DType.Float16 or DType.BFloat16:
                return ViaFloat32(x, f => MapFloat(f, op));
            default:
                throw new NotSupportedException($"element type {x.DType.Name()} is not supported here (floating point only)");
        }
    }

    /// <summary>Runs a binary kernel on float32 copies of float16/bfloat16 inputs; the result is rounded back when it is
    /// float32 (comparisons return bool and pass through).</summary>
    private static Tensor ViaFloat32<K>(Tensor a, Tensor b) where K : IBinaryKernel => ViaFloat32(a, b, K.Run<float>);

    /// <summary>Runs a float32 tensor function on a float32 copy of a float16/bfloat16 tensor and rounds the result back.</summary>
    public static Tensor ViaFloat32(Tensor x, Func<Tensor, Tensor> f)
    {
        var fx = ToFloat32(x);
        var r = f(fx);
        Release(fx, r);
        return r.DType == DType.Float32 ? FromFloat32(r, x.DType) : r;
    }

    public static void SameType(Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"input types differ: {a.DType.Name()} and {b.DType.Name()}");
    }
}
