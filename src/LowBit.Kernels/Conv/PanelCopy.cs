using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LowBit.Kernels.Conv;

/// <summary>
/// Short copies for panel packing (a panel row is 16–48 floats, often split in 2–3 segments): inline vector moves
/// instead of a memmove call per segment (the call overhead dominated im2col packing), and the stride-2 gather of
/// strided convolutions by permuting pairs of vectors. Never reads outside [src, src + span of the copied elements].
/// </summary>
internal static unsafe class PanelCopy
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(float* src, float* dst, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(src + i), dst + i);
            if (i < n && Avx512F.IsSupported)
            {
                var mask = Tail512(n - i);
                Avx512F.MaskStore(dst + i, mask, Avx512F.MaskLoad(src + i, mask, Vector512<float>.Zero));
                return;
            }
        }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
        for (; i < n; i++) dst[i] = src[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Zero(float* dst, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512<float>.Zero, dst + i);
            if (i < n && Avx512F.IsSupported)
            {
                Avx512F.MaskStore(dst + i, Tail512(n - i), Vector512<float>.Zero);
                return;
            }
        }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256<float>.Zero, dst + i);
        for (; i < n; i++) dst[i] = 0f;
    }

    /// <summary>dst[t] = src[2t] for t &lt; n (reads src[0 .. 2n − 2]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GatherEven(float* src, float* dst, int n)
    {
        int t = 0;
        if (Avx512F.IsSupported)
        {
            // vpermt2ps picks lanes 0, 2, …, 30 of the 32 floats in (lo, hi). A full step reads src[2t .. 2t + 31],
            // so it runs while 2t + 31 ≤ 2n − 2.
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            for (; 2 * t + 31 <= 2 * n - 2; t += 16)
            {
                var lo = Vector512.Load(src + 2 * t);
                var hi = Vector512.Load(src + 2 * t + 16);
                Vector512.Store(Avx512F.PermuteVar16x32x2(lo, even, hi), dst + t);
            }
        }
        for (; t < n; t++) dst[t] = src[2 * t];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tail512(int count) =>
        Vector512.LessThan(Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create((float)count));
}
