using System.Numerics;
using System.Runtime.InteropServices;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Tensors;

// Comparison (→ bool), boolean and bit-shift element operators. IEEE comparisons: NaN compares unequal and unordered.

internal readonly struct EqualOp<T> : IBinaryOp<EqualOp<T>, T, bool> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a == b;
}

internal readonly struct LessOp<T> : IBinaryOp<LessOp<T>, T, bool> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a < b;
}

internal readonly struct LessOrEqualOp<T> : IBinaryOp<LessOrEqualOp<T>, T, bool> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a <= b;
}

internal readonly struct GreaterOp<T> : IBinaryOp<GreaterOp<T>, T, bool> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a > b;
}

internal readonly struct GreaterOrEqualOp<T> : IBinaryOp<GreaterOrEqualOp<T>, T, bool> where T : INumber<T>
{
    public static bool Apply(T a, T b) => a >= b;
}

internal readonly struct BoolEqualOp : IBinaryOp<BoolEqualOp, bool, bool>
{
    public static bool Apply(bool a, bool b) => a == b;
}

// bool storage is one byte holding 0 or 1, so AND/OR/XOR of the bytes are the boolean results (vectorized).

internal readonly struct AndOp : IBinaryOp<AndOp, bool, bool>
{
    public static bool Apply(bool a, bool b) => a & b;
    public static void SpanSpan(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b, Span<bool> d) => TP.BitwiseAnd(Bytes(a, d.Length), Bytes(b, d.Length), MemoryMarshal.Cast<bool, byte>(d));
    public static void SpanScalar(ReadOnlySpan<bool> a, bool b, Span<bool> d) => TP.BitwiseAnd(Bytes(a, d.Length), (byte)(b ? 1 : 0), MemoryMarshal.Cast<bool, byte>(d));
    public static void ScalarSpan(bool a, ReadOnlySpan<bool> b, Span<bool> d) => SpanScalar(b, a, d);
    internal static ReadOnlySpan<byte> Bytes(ReadOnlySpan<bool> s, int n) => MemoryMarshal.Cast<bool, byte>(s[..n]);
}

internal readonly struct OrOp : IBinaryOp<OrOp, bool, bool>
{
    public static bool Apply(bool a, bool b) => a | b;
    public static void SpanSpan(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b, Span<bool> d) => TP.BitwiseOr(AndOp.Bytes(a, d.Length), AndOp.Bytes(b, d.Length), MemoryMarshal.Cast<bool, byte>(d));
    public static void SpanScalar(ReadOnlySpan<bool> a, bool b, Span<bool> d) => TP.BitwiseOr(AndOp.Bytes(a, d.Length), (byte)(b ? 1 : 0), MemoryMarshal.Cast<bool, byte>(d));
    public static void ScalarSpan(bool a, ReadOnlySpan<bool> b, Span<bool> d) => SpanScalar(b, a, d);
}

internal readonly struct XorOp : IBinaryOp<XorOp, bool, bool>
{
    public static bool Apply(bool a, bool b) => a ^ b;
    public static void SpanSpan(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b, Span<bool> d) => TP.Xor(AndOp.Bytes(a, d.Length), AndOp.Bytes(b, d.Length), MemoryMarshal.Cast<bool, byte>(d));
    public static void SpanScalar(ReadOnlySpan<bool> a, bool b, Span<bool> d) => TP.Xor(AndOp.Bytes(a, d.Length), (byte)(b ? 1 : 0), MemoryMarshal.Cast<bool, byte>(d));
    public static void ScalarSpan(bool a, ReadOnlySpan<bool> b, Span<bool> d) => SpanScalar(b, a, d);
}

/// <summary>Logical shift of unsigned integers; a shift of the bit width or more gives 0 (C# would mask the count).</summary>
internal readonly struct ShiftLeftOp<T> : IBinaryOp<ShiftLeftOp<T>, T, T> where T : IBinaryInteger<T>, IUnsignedNumber<T>
{
    public static T Apply(T a, T b) => b >= T.CreateTruncating(a.GetByteCount() * 8) ? T.Zero : a << int.CreateTruncating(b);
}

internal readonly struct ShiftRightOp<T> : IBinaryOp<ShiftRightOp<T>, T, T> where T : IBinaryInteger<T>, IUnsignedNumber<T>
{
    public static T Apply(T a, T b) => b >= T.CreateTruncating(a.GetByteCount() * 8) ? T.Zero : a >>> int.CreateTruncating(b);
}

/// <summary>PRelu: x where x ≥ 0, slope·x elsewhere.</summary>
internal readonly struct PReluOp<T> : IBinaryOp<PReluOp<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T slope) => x < T.Zero ? x * slope : x;
}
