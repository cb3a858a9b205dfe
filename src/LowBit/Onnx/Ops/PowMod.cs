using System.Numerics;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Pow (base and exponent types may differ from opset 12; the result has the base's type) and Mod.</summary>
internal static class PowMod
{
    /// <summary>
    /// Float base: C pow, the exponent converted to the base's compute type. Integer base and integer exponent: exact
    /// integer power, wrapping. Integer base and float exponent: pow in float64, truncated toward zero to the base type.
    /// </summary>
    [Op("Pow", 7)]
    public static Tensor Pow(Tensor X, Tensor Y)
    {
        if (X.DType.IsFloat())
        {
            // float16/bfloat16 (and their exponents) compute in float32.
            var compute = X.DType == DType.Float64 ? DType.Float64 : DType.Float32;
            Tensor x = Elementwise.Cast(X, compute), y = Elementwise.Cast(Y, compute);
            var r = Elementwise.Floating<FloatPowK>(x, y);
            Elementwise.Release(x, X);
            Elementwise.Release(y, Y);
            return compute == X.DType ? r : Elementwise.FromFloat32(r, X.DType);
        }
        if (Y.DType.IsInteger())
        {
            var y = Elementwise.Cast(Y, X.DType);
            return Elementwise.Integer<IntPowK>(X, y);
        }
        Tensor xd = Elementwise.Cast(X, DType.Float64), yd = Elementwise.Cast(Y, DType.Float64);
        var rd = Elementwise.Floating<FloatPowK>(xd, yd);
        Elementwise.Release(xd, X);
        Elementwise.Release(yd, Y);
        var result = Elementwise.Cast(rd, X.DType);
        Elementwise.Release(rd);
        return result;
    }

    [Op("Pow", 1)]
    public static Tensor PowLegacy(Tensor X, Tensor Y, long broadcast = 0, int? axis = null) => Pow(X, Arithmetic.Legacy(X, Y, broadcast, axis));

    /// <summary>fmod=0: Python/numpy remainder (sign of the divisor); fmod=1: C fmod (sign of the dividend).</summary>
    [Op("Mod", 10)]
    public static Tensor Mod(Tensor A, Tensor B, long fmod = 0)
    {
        if (A.DType.IsFloat())
            return fmod != 0 ? Elementwise.Floating<FloatModK<No>>(A, B) : Elementwise.Floating<FloatModK<Yes>>(A, B);
        return fmod != 0 ? Elementwise.Integer<IntModK<No>>(A, B) : Elementwise.Integer<IntModK<Yes>>(A, B);
    }

    private readonly struct FloatPowK : IFloatBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, IFloatingPointIeee754<T> => Elementwise.Binary<T, T, FloatPowOp<T>>(a, b, a.DType);
    }

    private readonly struct IntPowK : IIntegerBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, IBinaryInteger<T> => Elementwise.Binary<T, T, IntPowOp<T>>(a, b, a.DType);
    }

    private readonly struct FloatModK<TPython> : IFloatBinaryKernel where TPython : IFlag
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, IFloatingPointIeee754<T> => Elementwise.Binary<T, T, FloatModOp<T, TPython>>(a, b, a.DType);
    }

    private readonly struct IntModK<TPython> : IIntegerBinaryKernel where TPython : IFlag
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, IBinaryInteger<T> => Elementwise.Binary<T, T, IntModOp<T, TPython>>(a, b, a.DType);
    }
}
