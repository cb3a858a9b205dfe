using System.Numerics;

namespace LowBit.Tensors;

/// <summary>Tensor-level element-wise helpers for composite ops (any numeric type, broadcasting).</summary>
internal static partial class Elementwise
{
    public static Tensor Add(Tensor a, Tensor b) => Numeric<AddK>(a, b);
    public static Tensor Subtract(Tensor a, Tensor b) => Numeric<SubK>(a, b);
    public static Tensor Multiply(Tensor a, Tensor b) => Numeric<MulK>(a, b);
    public static Tensor Maximum(Tensor a, Tensor b) => Numeric<MaxK>(a, b);
    public static Tensor Minimum(Tensor a, Tensor b) => Numeric<MinK>(a, b);

    private readonly struct AddK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Binary<T, T, AddOp<T>>(a, b, a.DType);
    }

    private readonly struct SubK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Binary<T, T, SubOp<T>>(a, b, a.DType);
    }

    private readonly struct MulK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Binary<T, T, MulOp<T>>(a, b, a.DType);
    }

    private readonly struct MaxK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Binary<T, T, MaxOp<T>>(a, b, a.DType);
    }

    private readonly struct MinK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Binary<T, T, MinOp<T>>(a, b, a.DType);
    }
}
