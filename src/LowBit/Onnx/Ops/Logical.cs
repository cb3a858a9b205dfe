using System.Numerics;
using System.Runtime.InteropServices;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>Comparisons, boolean logic, IsNaN/IsInf and BitShift. Comparisons of float16/bfloat16 compare the exact
/// float32 values. Opset &lt; 7 forms take the legacy <c>broadcast</c>/<c>axis</c> attributes.</summary>
internal static class Logical
{
    [Op("Equal", 7)]
    public static Tensor Equal(Tensor A, Tensor B)
    {
        Elementwise.SameType(A, B);
        return A.DType switch
        {
            DType.Bool => Elementwise.Binary<bool, bool, BoolEqualOp>(A, B, DType.Bool),
            DType.String => Elementwise.Binary<string, bool, StringEqualOp>(A, B, DType.Bool),
            _ => Elementwise.Numeric<EqualK>(A, B),
        };
    }

    [Op("Less", 7)] public static Tensor Less(Tensor A, Tensor B) => Elementwise.Numeric<LessK>(A, B);
    [Op("LessOrEqual", 12)] public static Tensor LessOrEqual(Tensor A, Tensor B) => Elementwise.Numeric<LessOrEqualK>(A, B);
    [Op("Greater", 7)] public static Tensor Greater(Tensor A, Tensor B) => Elementwise.Numeric<GreaterK>(A, B);
    [Op("GreaterOrEqual", 12)] public static Tensor GreaterOrEqual(Tensor A, Tensor B) => Elementwise.Numeric<GreaterOrEqualK>(A, B);

    [Op("And", 7)] public static Tensor And(Tensor A, Tensor B) => Elementwise.Binary<bool, bool, AndOp>(Bools(A), Bools(B), DType.Bool);
    [Op("Or", 7)] public static Tensor Or(Tensor A, Tensor B) => Elementwise.Binary<bool, bool, OrOp>(Bools(A), Bools(B), DType.Bool);
    [Op("Xor", 7)] public static Tensor Xor(Tensor A, Tensor B) => Elementwise.Binary<bool, bool, XorOp>(Bools(A), Bools(B), DType.Bool);

    [Op("Equal", 1)] public static Tensor EqualLegacy(Tensor A, Tensor B, long broadcast = 0, int? axis = null) => Equal(A, Arithmetic.Legacy(A, B, broadcast, axis));
    [Op("Less", 1)] public static Tensor LessLegacy(Tensor A, Tensor B, long broadcast = 0, int? axis = null) => Less(A, Arithmetic.Legacy(A, B, broadcast, axis));
    [Op("Greater", 1)] public static Tensor GreaterLegacy(Tensor A, Tensor B, long broadcast = 0, int? axis = null) => Greater(A, Arithmetic.Legacy(A, B, broadcast, axis));
    [Op("And", 1)] public static Tensor AndLegacy(Tensor A, Tensor B, long broadcast = 0, int? axis = null) => And(A, Arithmetic.Legacy(A, B, broadcast, axis));
    [Op("Or", 1)] public static Tensor OrLegacy(Tensor A, Tensor B, long broadcast = 0, int? axis = null) => Or(A, Arithmetic.Legacy(A, B, broadcast, axis));
    [Op("Xor", 1)] public static Tensor XorLegacy(Tensor A, Tensor B, long broadcast = 0, int? axis = null) => Xor(A, Arithmetic.Legacy(A, B, broadcast, axis));

    [Op("Not", 1)]
    public static Tensor Not(Tensor X)
    {
        var r = Tensor.Empty(DType.Bool, X.Shape);
        // bool bytes are 0/1: XOR with 1 negates.
        TP.Xor(MemoryMarshal.Cast<bool, byte>(Bools(X).AsReadOnlySpan<bool>()), (byte)1, MemoryMarshal.Cast<bool, byte>(r.AsSpan<bool>()));
        return r;
    }

    [Op("IsNaN", 9)]
    public static Tensor IsNaN(Tensor X) => Classify(X, nan: true, positiveInf: false, negativeInf: false);

    [Op("IsInf", 10)]
    public static Tensor IsInf(Tensor X, long detect_negative = 1, long detect_positive = 1) =>
        Classify(X, nan: false, positiveInf: detect_positive != 0, negativeInf: detect_negative != 0);

    /// <summary>Unsigned integers; shifts of the bit width or more give 0.</summary>
    [Op("BitShift", 11)]
    public static Tensor BitShift(Tensor X, Tensor Y, string direction)
    {
        Elementwise.SameType(X, Y);
        bool left = direction switch
        {
            "LEFT" => true,
            "RIGHT" => false,
            _ => throw new ArgumentException($"BitShift direction must be LEFT or RIGHT, not '{direction}'"),
        };
        return (X.DType, left) switch
        {
            (DType.UInt8, true) => Elementwise.Binary<byte, byte, ShiftLeftOp<byte>>(X, Y, X.DType),
            (DType.UInt8, false) => Elementwise.Binary<byte, byte, ShiftRightOp<byte>>(X, Y, X.DType),
            (DType.UInt16, true) => Elementwise.Binary<ushort, ushort, ShiftLeftOp<ushort>>(X, Y, X.DType),
            (DType.UInt16, false) => Elementwise.Binary<ushort, ushort, ShiftRightOp<ushort>>(X, Y, X.DType),
            (DType.UInt32, true) => Elementwise.Binary<uint, uint, ShiftLeftOp<uint>>(X, Y, X.DType),
            (DType.UInt32, false) => Elementwise.Binary<uint, uint, ShiftRightOp<uint>>(X, Y, X.DType),
            (DType.UInt64, true) => Elementwise.Binary<ulong, ulong, ShiftLeftOp<ulong>>(X, Y, X.DType),
            (DType.UInt64, false) => Elementwise.Binary<ulong, ulong, ShiftRightOp<ulong>>(X, Y, X.DType),
            _ => throw new NotSupportedException($"BitShift needs unsigned integers, got {X.DType.Name()}"),
        };
    }

    private static Tensor Bools(Tensor t) =>
        t.DType == DType.Bool ? t : throw new ArgumentException($"expected a bool tensor, got {t.DType.Name()}");

    private static Tensor Classify(Tensor x, bool nan, bool positiveInf, bool negativeInf) => x.DType switch
    {
        DType.Float32 => Classify<float>(x, nan, positiveInf, negativeInf),
        DType.Float64 => Classify<double>(x, nan, positiveInf, negativeInf),
        DType.Float16 => Classify<Half>(x, nan, positiveInf, negativeInf),
        _ when x.DType.IsFloat() => ClassifyAsFloat32(x, nan, positiveInf, negativeInf),
        _ => throw new NotSupportedException($"expected a floating-point tensor, got {x.DType.Name()}"),
    };

    /// <summary>bfloat16 and float8 decode exactly to float32, NaN and infinities included.</summary>
    private static Tensor ClassifyAsFloat32(Tensor x, bool nan, bool positiveInf, bool negativeInf)
    {
        var f = Elementwise.Cast(x, DType.Float32);
        var r = Classify<float>(f, nan, positiveInf, negativeInf);
        Elementwise.Release(f);
        return r;
    }

    private static Tensor Classify<T>(Tensor x, bool nan, bool positiveInf, bool negativeInf) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = Tensor.Empty(DType.Bool, x.Shape);
        var s = x.AsReadOnlySpan<T>();
        var d = r.AsSpan<bool>();
        for (int i = 0; i < d.Length; i++)
            d[i] = (nan && T.IsNaN(s[i])) || (positiveInf && T.IsPositiveInfinity(s[i])) || (negativeInf && T.IsNegativeInfinity(s[i]));
        return r;
    }

    private readonly struct StringEqualOp : IBinaryOp<StringEqualOp, string, bool>
    {
        public static bool Apply(string a, string b) => string.Equals(a, b, StringComparison.Ordinal);
    }

    private readonly struct EqualK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Elementwise.Binary<T, bool, EqualOp<T>>(a, b, DType.Bool);
    }

    private readonly struct LessK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Elementwise.Binary<T, bool, LessOp<T>>(a, b, DType.Bool);
    }

    private readonly struct LessOrEqualK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Elementwise.Binary<T, bool, LessOrEqualOp<T>>(a, b, DType.Bool);
    }

    private readonly struct GreaterK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Elementwise.Binary<T, bool, GreaterOp<T>>(a, b, DType.Bool);
    }

    private readonly struct GreaterOrEqualK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Elementwise.Binary<T, bool, GreaterOrEqualOp<T>>(a, b, DType.Bool);
    }
}
