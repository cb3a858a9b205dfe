using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Tensors;

// Arithmetic element operators. Span forms go to TensorPrimitives, which is vectorized for every primitive numeric
// type; integer arithmetic wraps on overflow (unchecked, as ONNX Runtime's C++).

internal readonly struct AddOp<T> : IBinaryOp<AddOp<T>, T, T> where T : INumber<T>
{
    public static T Apply(T a, T b) => a + b;
    public static void SpanSpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Add(a[..d.Length], b[..d.Length], d);
    public static void SpanScalar(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Add(a[..d.Length], b, d);
    public static void ScalarSpan(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Add(b[..d.Length], a, d);
}

internal readonly struct SubOp<T> : IBinaryOp<SubOp<T>, T, T> where T : INumber<T>
{
    public static T Apply(T a, T b) => a - b;
    public static void SpanSpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Subtract(a[..d.Length], b[..d.Length], d);
    public static void SpanScalar(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Subtract(a[..d.Length], b, d);
    public static void ScalarSpan(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Subtract(a, b[..d.Length], d);
}

internal readonly struct MulOp<T> : IBinaryOp<MulOp<T>, T, T> where T : INumber<T>
{
    public static T Apply(T a, T b) => a * b;
    public static void SpanSpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Multiply(a[..d.Length], b[..d.Length], d);
    public static void SpanScalar(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Multiply(a[..d.Length], b, d);
    public static void ScalarSpan(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Multiply(b[..d.Length], a, d);
}

/// <summary>Floating division (IEEE: x/0 = ±Inf, 0/0 = NaN).</summary>
internal readonly struct FloatDivOp<T> : IBinaryOp<FloatDivOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b) => a / b;
    public static void SpanSpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Divide(a[..d.Length], b[..d.Length], d);
    public static void SpanScalar(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Divide(a[..d.Length], b, d);
    public static void ScalarSpan(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Divide(a, b[..d.Length], d);
}

/// <summary>Integer division truncating toward zero (C, ONNX Runtime); MIN / −1 wraps to MIN; x / 0 throws.</summary>
internal readonly struct IntDivOp<T> : IBinaryOp<IntDivOp<T>, T, T> where T : IBinaryInteger<T>
{
    public static T Apply(T a, T b)
    {
        if (T.IsZero(b)) throw new DivideByZeroException("integer division by zero");
        // Only signed types have −1; negation wraps (MIN → MIN) where division would overflow.
        if (T.IsNegative(b) && b == -T.One) return T.Zero - a;
        return a / b;
    }
}

internal readonly struct MaxOp<T> : IBinaryOp<MaxOp<T>, T, T> where T : INumber<T>
{
    /// <summary>NaN propagates (numpy maximum); +0 is greater than −0.</summary>
    public static T Apply(T a, T b) => T.Max(a, b);
    public static void SpanSpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Max(a[..d.Length], b[..d.Length], d);
    public static void SpanScalar(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Max(a[..d.Length], b, d);
    public static void ScalarSpan(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Max(b[..d.Length], a, d);
}

internal readonly struct MinOp<T> : IBinaryOp<MinOp<T>, T, T> where T : INumber<T>
{
    public static T Apply(T a, T b) => T.Min(a, b);
    public static void SpanSpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Min(a[..d.Length], b[..d.Length], d);
    public static void SpanScalar(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Min(a[..d.Length], b, d);
    public static void ScalarSpan(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Min(b[..d.Length], a, d);
}

/// <summary>Floating power (C pow).</summary>
internal readonly struct FloatPowOp<T> : IBinaryOp<FloatPowOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b) => T.Pow(a, b);
    public static void SpanSpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Pow(a[..d.Length], b[..d.Length], d);
    public static void SpanScalar(ReadOnlySpan<T> a, T b, Span<T> d)
    {
        // x² is the common exponent in normalization graphs: x·x is exact (correctly rounded) and faster than pow.
        if (b == T.CreateTruncating(2)) TP.Multiply(a[..d.Length], a[..d.Length], d);
        else TP.Pow(a[..d.Length], b, d);
    }
    public static void ScalarSpan(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Pow(a, b[..d.Length], d);
}

/// <summary>Integer power by repeated squaring, wrapping on overflow. Negative exponents give the truncated real result:
/// 1 for base 1, ±1 for base −1, 0 otherwise (what ONNX Runtime's pow-then-cast yields for |base| &gt; 1).</summary>
internal readonly struct IntPowOp<T> : IBinaryOp<IntPowOp<T>, T, T> where T : IBinaryInteger<T>
{
    public static T Apply(T a, T b)
    {
        if (T.IsNegative(b))
        {
            if (a == T.One) return T.One;
            if (T.IsNegative(a) && a == -T.One) return T.IsEvenInteger(b) ? T.One : a;
            return T.Zero;
        }
        T result = T.One, x = a;
        while (!T.IsZero(b))
        {
            if (T.IsOddInteger(b)) result *= x;
            b >>= 1;
            if (!T.IsZero(b)) x *= x;
        }
        return result;
    }
}

/// <summary>Integer remainder. C semantics (<c>fmod=1</c>: sign of the dividend) or Python/numpy semantics
/// (<c>fmod=0</c>: sign of the divisor, r = a − b·floor(a/b)). x mod 0 throws; MIN mod −1 is 0.</summary>
internal readonly struct IntModOp<T, TPython> : IBinaryOp<IntModOp<T, TPython>, T, T> where T : IBinaryInteger<T> where TPython : IFlag
{
    public static T Apply(T a, T b)
    {
        if (T.IsZero(b)) throw new DivideByZeroException("integer modulo by zero");
        if (T.IsNegative(b) && b == -T.One) return T.Zero;
        T r = a % b;
        if (TPython.Value && !T.IsZero(r) && T.IsNegative(r) != T.IsNegative(b)) r += b;
        return r;
    }
}

/// <summary>Floating remainder: C fmod (<c>fmod=1</c>) or numpy mod (<c>fmod=0</c>: sign of the divisor).</summary>
internal readonly struct FloatModOp<T, TPython> : IBinaryOp<FloatModOp<T, TPython>, T, T> where T : IFloatingPointIeee754<T> where TPython : IFlag
{
    public static T Apply(T a, T b)
    {
        T r = a % b;
        if (TPython.Value && !T.IsZero(r) && T.IsNegative(r) != T.IsNegative(b)) r += b;
        return r;
    }
}

/// <summary>A compile-time boolean for specializing operators.</summary>
internal interface IFlag
{
    static abstract bool Value { get; }
}

internal readonly struct Yes : IFlag
{
    public static bool Value => true;
}

internal readonly struct No : IFlag
{
    public static bool Value => false;
}
