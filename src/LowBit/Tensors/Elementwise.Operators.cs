using System.Runtime.Intrinsics;

namespace LowBit.Tensors;

/// <summary>
/// A binary element operator <c>d = f(a, b)</c>. The scalar form is required; the span forms default to a loop over it
/// and are overridden where a vectorized implementation exists (TensorPrimitives). Static abstract members on a struct
/// type argument make the JIT specialize and inline every call: no per-element delegate.
/// </summary>
internal interface IBinaryOp<TSelf, T, TR> where TSelf : IBinaryOp<TSelf, T, TR>
{
    static abstract TR Apply(T a, T b);

    static virtual void SpanSpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<TR> d)
    {
        a = a[..d.Length];
        b = b[..d.Length];
        for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(a[i], b[i]);
    }

    static virtual void SpanScalar(ReadOnlySpan<T> a, T b, Span<TR> d)
    {
        a = a[..d.Length];
        for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(a[i], b);
    }

    static virtual void ScalarSpan(T a, ReadOnlySpan<T> b, Span<TR> d)
    {
        b = b[..d.Length];
        for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(a, b[i]);
    }
}

/// <summary>A unary element operator with state (e.g. an activation's alpha): passed by value as a struct, so calls
/// are specialized and inlined.</summary>
internal interface IUnaryOp<T>
{
    T Apply(T x);
}

/// <summary>A unary operator with a 256-bit vector form used for whole vectors (the scalar form handles the tail).</summary>
internal interface IVectorUnaryOp<T> : IUnaryOp<T>
{
    Vector256<T> Apply(Vector256<T> x);
}
