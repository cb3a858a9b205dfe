using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LowBit.Kernels;
using LowBit.Onnx.Ops;
using LowBit.Tensors;

namespace LowBit.Runtime.Autograd;

/// <summary>
/// The local derivative of an element-wise op, applied to an incoming gradient: dx = dy·f'(x) where f' may be written
/// with the forward input x or the forward output y (whichever is cheaper). A struct type argument, so the loops are
/// specialized and inlined per op (no per-element delegate).
/// </summary>
internal interface IGradOp
{
    float Apply(float x, float y, float dy);
    Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy);
}

/// <summary>Float32 drivers for element-wise backward functions: vectorized, split across <see cref="Parallelism"/>
/// for large tensors. Other float types are computed through float32 and the gradient cast back.</summary>
internal static class GradElementwise
{
    /// <summary>dx[i] = op(x[i], y[i], dy[i]); <paramref name="x"/> or <paramref name="y"/> may be null when the op
    /// does not read it. The result has <paramref name="like"/>'s shape and dtype.</summary>
    public static Tensor Map<TOp>(Tensor like, Tensor? x, Tensor? y, Tensor dy, TOp op) where TOp : struct, IGradOp
    {
        var d32 = Elementwise.ToFloat32(dy);
        var x32 = x is null ? d32 : Elementwise.ToFloat32(x);
        var y32 = y is null ? d32 : Elementwise.ToFloat32(y);
        if (x32.Length != d32.Length || y32.Length != d32.Length)
            throw new ArgumentException($"gradient {dy.ShapeString} does not match the forward tensors");
        var r = Tensor.Empty(DType.Float32, like.Shape);
        float[] xs = (float[])x32.Data, ys = (float[])y32.Data, ds = (float[])d32.Data, rs = (float[])r.Data;
        Elementwise.Split(r.Length, (s, e) => Run(xs.AsSpan(s, e - s), ys.AsSpan(s, e - s), ds.AsSpan(s, e - s), rs.AsSpan(s, e - s), op));
        return like.DType == DType.Float32 ? r : Elementwise.Cast(r, like.DType);
    }

    private static void Run<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, TOp op)
        where TOp : struct, IGradOp
    {
        int n = dx.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            ref float dr = ref MemoryMarshal.GetReference(dy);
            ref float rr = ref MemoryMarshal.GetReference(dx);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Apply(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref yr, (nuint)i), Vector256.LoadUnsafe(ref dr, (nuint)i))
                    .StoreUnsafe(ref rr, (nuint)i);
        }
        for (; i < n; i++) dx[i] = op.Apply(x[i], y[i], dy[i]);
    }

    /// <summary>a·dy for a scalar a, as a new tensor shaped like <paramref name="like"/>.</summary>
    public static Tensor Scale(Tensor like, Tensor dy, float a)
    {
        var d32 = Elementwise.ToFloat32(dy);
        var r = Tensor.Empty(DType.Float32, like.Shape);
        float[] ds = (float[])d32.Data, rs = (float[])r.Data;
        Elementwise.Split(r.Length, (s, e) => System.Numerics.Tensors.TensorPrimitives.Multiply(ds.AsSpan(s, e - s), a, rs.AsSpan(s, e - s)));
        return like.DType == DType.Float32 ? r : Elementwise.Cast(r, like.DType);
    }

    /// <summary>dy reinterpreted with <paramref name="like"/>'s shape (storage shared) and cast to its dtype.</summary>
    public static Tensor Pass(Tensor like, Tensor dy)
    {
        var g = dy.DType == like.DType ? dy : Elementwise.Cast(dy, like.DType);
        return g.Shape.SequenceEqual(like.Shape) ? g : g.Reshape(like.Shape);
    }
}
