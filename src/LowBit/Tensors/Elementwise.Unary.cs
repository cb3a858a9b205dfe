using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LowBit.Tensors;

internal static partial class Elementwise
{
    /// <summary>d[i] = op(x[i]) with the scalar form (d may alias x).</summary>
    public static void Map<T, TOp>(ReadOnlySpan<T> x, Span<T> d, TOp op) where TOp : struct, IUnaryOp<T>
    {
        x = x[..d.Length];
        for (int i = 0; i < d.Length; i++) d[i] = op.Apply(x[i]);
    }

    /// <summary>d[i] = op(x[i]): whole 256-bit vectors with the vector form, the tail with the scalar form (d may alias x).</summary>
    public static void MapVector<TOp>(ReadOnlySpan<float> x, Span<float> d, TOp op) where TOp : struct, IVectorUnaryOp<float>
    {
        int n = d.Length, i = 0;
        if (x.Length < n) throw new ArgumentException("source shorter than destination");
        if (Vector256.IsHardwareAccelerated)
        {
            ref float xs = ref MemoryMarshal.GetReference(x);
            ref float ds = ref MemoryMarshal.GetReference(d);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Apply(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
        }
        for (; i < n; i++) d[i] = op.Apply(x[i]);
    }

    /// <summary>x itself when float32, else a float32 copy (from the session pool: <see cref="Release"/> it when done).</summary>
    public static Tensor ToFloat32(Tensor x)
    {
        if (x.DType == DType.Float32) return x;
        var r = Tensor.Empty(DType.Float32, x.Shape);
        var dst = r.AsSpan<float>();
        switch (x.DType)
        {
            case DType.Float16: TensorPrimitives.ConvertToSingle(x.AsReadOnlySpan<Half>(), dst); break;
            case DType.BFloat16: BFloat16ToSingle(x.AsReadOnlySpan<ushort>(), dst); break;
            default: for (int i = 0; i < dst.Length; i++) dst[i] = (float)x.GetDouble(i); break;
        }
        return r;
    }

    /// <summary>Rounds a float32 temporary to <paramref name="target"/> (float16/bfloat16, nearest even) and releases it;
    /// returns <paramref name="f"/> itself when the target is float32.</summary>
    public static Tensor FromFloat32(Tensor f, DType target)
    {
        if (target == DType.Float32) return f;
        var r = Tensor.Empty(target, f.Shape);
        var src = f.AsReadOnlySpan<float>();
        switch (target)
        {
            case DType.Float16: TensorPrimitives.ConvertToHalf(src, r.AsSpan<Half>()); break;
            case DType.BFloat16: SingleToBFloat16(src, r.AsSpan<ushort>()); break;
            default: for (int i = 0; i < src.Length; i++) r.SetDouble(i, src[i]); break;
        }
        Release(f);
        return r;
    }

    /// <summary>A scalar of <paramref name="dtype"/> holding <paramref name="value"/>, outside the pool (nothing to release).</summary>
    public static Tensor ScalarOf(DType dtype, double value)
    {
        var t = Tensor.FromStorage(dtype, System.Array.CreateInstance(dtype.StorageType(), 1));
        t.SetDouble(0, value);
        return t;
    }

    /// <summary>Gives a temporary's storage back to the session pool (a no-op outside sessions or for storage the pool
    /// did not lend). Unless <paramref name="keep"/> shares the storage. Never pass a tensor that is still referenced.</summary>
    public static void Release(Tensor temp, Tensor? keep = null)
    {
        if (keep is not null && ReferenceEquals(temp.Data, keep.Data)) return;
        TensorPool.Current?.Return(temp.Data);
    }

    /// <summary>bfloat16 bits are the upper half of float32 bits: widen and shift left by 16.</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        int n = src.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref ushort s = ref MemoryMarshal.GetReference(src);
            ref float d = ref MemoryMarshal.GetReference(dst[..n]);
            for (; i <= n - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                Vector256.ShiftLeft(lo, 16).AsSingle().StoreUnsafe(ref d, (nuint)i);
                Vector256.ShiftLeft(hi, 16).AsSingle().StoreUnsafe(ref d, (nuint)(i + Vector256<uint>.Count));
            }
        }
        for (; i < n; i++) dst[i] = BFloat16Bits.ToFloat(src[i]);
    }

    /// <summary>float32 → bfloat16, round to nearest even; NaN stays a quiet NaN.</summary>
    public static void SingleToBFloat16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        dst = dst[..src.Length];
        for (int i = 0; i < src.Length; i++) dst[i] = BFloat16Bits.FromFloat(src[i]);
    }
}
