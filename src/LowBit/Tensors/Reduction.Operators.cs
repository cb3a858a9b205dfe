using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Tensors;

/// <summary>An associative reduction ⊕: the value of an empty reduction, a contiguous row reduced to one value, and
/// acc[i] ⊕= x[i] over a span (for reductions whose elements are strided by an inner block).</summary>
internal interface IReduceOp<T>
{
    static abstract T Identity { get; }
    static abstract T Row(ReadOnlySpan<T> x);
    static abstract void Accumulate(ReadOnlySpan<T> x, Span<T> acc);
}

internal readonly struct SumReduce<T> : IReduceOp<T> where T : INumber<T>
{
    public static T Identity => T.Zero;
    public static T Row(ReadOnlySpan<T> x) => TP.Sum(x);
    public static void Accumulate(ReadOnlySpan<T> x, Span<T> acc) => TP.Add(acc, x, acc);
}

internal readonly struct ProdReduce<T> : IReduceOp<T> where T : INumber<T>
{
    public static T Identity => T.One;
    public static T Row(ReadOnlySpan<T> x) => x.IsEmpty ? T.One : TP.Product(x);
    public static void Accumulate(ReadOnlySpan<T> x, Span<T> acc) => TP.Multiply(acc, x, acc);
}

/// <summary>Maximum; NaN propagates. The empty maximum is −∞ for floats and the type's minimum for integers.</summary>
internal readonly struct MaxReduce<T> : IReduceOp<T> where T : INumber<T>, IMinMaxValue<T>
{
    public static T Identity => typeof(T) == typeof(float) ? (T)(object)float.NegativeInfinity
        : typeof(T) == typeof(double) ? (T)(object)double.NegativeInfinity : T.MinValue;
    public static T Row(ReadOnlySpan<T> x) => x.IsEmpty ? Identity : TP.Max(x);
    public static void Accumulate(ReadOnlySpan<T> x, Span<T> acc) => TP.Max(acc, x, acc);
}

/// <summary>Minimum; NaN propagates. The empty minimum is +∞ for floats and the type's maximum for integers.</summary>
internal readonly struct MinReduce<T> : IReduceOp<T> where T : INumber<T>, IMinMaxValue<T>
{
    public static T Identity => typeof(T) == typeof(float) ? (T)(object)float.PositiveInfinity
        : typeof(T) == typeof(double) ? (T)(object)double.PositiveInfinity : T.MaxValue;
    public static T Row(ReadOnlySpan<T> x) => x.IsEmpty ? Identity : TP.Min(x);
    public static void Accumulate(ReadOnlySpan<T> x, Span<T> acc) => TP.Min(acc, x, acc);
}
