using System.Numerics;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Add, Sub, Mul, Div with numpy broadcasting (opset 7+) and the legacy <c>broadcast</c>/<c>axis</c> form (opset 1–6).</summary>
internal static class Arithmetic
{
    [Op("Add", 7)]
    public static Tensor Add(Tensor A, Tensor B) => Elementwise.Add(A, B);

    [Op("Sub", 7)]
    public static Tensor Sub(Tensor A, Tensor B) => Elementwise.Subtract(A, B);

    [Op("Mul", 7)]
    public static Tensor Mul(Tensor A, Tensor B) => Elementwise.Multiply(A, B);

    /// <summary>Floats: IEEE division. Integers: truncation toward zero (as ONNX Runtime); division by zero is an error.</summary>
    [Op("Div", 7)]
    public static Tensor Div(Tensor A, Tensor B) =>
        A.DType.IsFloat() ? Elementwise.Floating<FloatDivK>(A, B) : Elementwise.Integer<IntDivK>(A, B);

    [Op("Add", 1)]
    public static Tensor AddLegacy(Tensor A, Tensor B, long broadcast = 0, int? axis = null) => Add(A, Legacy(A, B, broadcast, axis));

    [Op("Sub", 1)]
    public static Tensor SubLegacy(Tensor A, Tensor B, long broadcast = 0, int? axis = null) => Sub(A, Legacy(A, B, broadcast, axis));

    [Op("Mul", 1)]
    public static Tensor MulLegacy(Tensor A, Tensor B, long broadcast = 0, int? axis = null) => Mul(A, Legacy(A, B, broadcast, axis));

    [Op("Div", 1)]
    public static Tensor DivLegacy(Tensor A, Tensor B, long broadcast = 0, int? axis = null) => Div(A, Legacy(A, B, broadcast, axis));

    /// <summary>
    /// Opset &lt; 7 broadcasting: with <c>broadcast=1</c>, B's shape is a contiguous run of A's dims starting at
    /// <c>axis</c> (default: aligned to the end, as numpy). B is viewed with 1s around it so numpy broadcasting applies:
    /// A [2,3,4,5] with B [3,4] at axis 1 → B viewed as [1,3,4,1]. Without it the shapes must be equal.
    /// </summary>
    internal static Tensor Legacy(Tensor A, Tensor B, long broadcast, int? axis)
    {
        if (broadcast == 0)
        {
            if (!A.Shape.SequenceEqual(B.Shape) && B.Length != 1)
                throw new ArgumentException($"shapes {A.ShapeString} and {B.ShapeString} differ and broadcast=0");
            return B;
        }
        int rank = A.Rank, k = B.Rank;
        // A scalar B (or [1]) broadcasts anywhere.
        if (B.Length == 1 && k <= 1) return B;
        int start = axis is int ax ? (ax < 0 ? ax + rank : ax) : rank - k;
        if (start < 0 || start + k > rank)
            throw new ArgumentException($"cannot broadcast {B.ShapeString} into {A.ShapeString} at axis {axis}");
        var view = new int[rank];
        Array.Fill(view, 1);
        for (int i = 0; i < k; i++)
        {
            if (B.Shape[i] != A.Shape[start + i] && B.Shape[i] != 1)
                throw new ArgumentException($"cannot broadcast {B.ShapeString} into {A.ShapeString} at axis {start}");
            view[start + i] = B.Shape[i];
        }
        return B.Reshape(view);
    }

    private readonly struct FloatDivK : IFloatBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, IFloatingPointIeee754<T> => Elementwise.Binary<T, T, FloatDivOp<T>>(a, b, a.DType);
    }

    private readonly struct IntDivK : IIntegerBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, IBinaryInteger<T> => Elementwise.Binary<T, T, IntDivOp<T>>(a, b, a.DType);
    }
}
