using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LowBit.Kernels.Gemm;

public static partial class GemmF32
{
    /// <summary>
    /// AVX-512F micro-kernel: an 8×48 tile of C in 24 zmm accumulators (8 rows × 3 vectors of 16). Per k step: 3 loads
    /// of B, 8 broadcasts of A, 24 FMAs, so the two FMA pipes (not loads) bound it; 24 independent chains cover the
    /// 4-cycle FMA latency. Edge tiles use the same source instantiated for fewer rows/vectors.
    /// Blocks: KC = 768 (A panel 24 KiB, B panel 144 KiB streamed from L2; measured on Zen 5, larger KC beat 256 by ~10%
    /// because a K ≤ 768 convolution then writes C once), MC = 128, NC = 480.
    /// </summary>
    internal sealed unsafe partial class Avx512 : Blocked
    {
        public static readonly Avx512 Instance = new();
        /// <summary>A is prefetched 4 KiB ahead: the weights of deep layers stream from memory once per image and the
        /// hardware prefetcher alone left the kernel waiting (ResNet18's layer4 at batch 1: 28% faster, measured).</summary>
        private const int PrefetchAhead = 1024;
        private const int MRc = 8, NRc = 48;

        public static bool Supported => Avx512F.IsSupported && Fma.IsSupported;
        public override string Name => "avx512";
        public override int MR => MRc;
        public override int NR => NRc;
        protected override int VectorWidth => 16;
        protected override int KC => 768;
        protected override int MC => 128;
        protected override int NC => 480;

        protected override void Multiply(int kc, float* a, float* b, float* tile, int rows, int cols)
        {
            switch ((cols + 15) >> 4)
            {
                case 3: ByRows<T3>(kc, a, b, tile, rows); break;
                case 2: ByRows<T2>(kc, a, b, tile, rows); break;
                default: ByRows<T1>(kc, a, b, tile, rows); break;
            }
        }

        private static void ByRows<TV>(int kc, float* a, float* b, float* tile, int rows) where TV : struct, ITileConst
        {
            switch (rows)
            {
                case 8: Kernel<T8, TV>(kc, a, b, tile); break;
                case 7: Kernel<T7, TV>(kc, a, b, tile); break;
                case 6: Kernel<T6, TV>(kc, a, b, tile); break;
                case 5: Kernel<T5, TV>(kc, a, b, tile); break;
                case 4: Kernel<T4, TV>(kc, a, b, tile); break;
                case 3: Kernel<T3, TV>(kc, a, b, tile); break;
                case 2: Kernel<T2, TV>(kc, a, b, tile); break;
                default: Kernel<T1, TV>(kc, a, b, tile); break;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Kernel<TR, TV>(int kc, float* a, float* b, float* tile) where TR : struct, ITileConst where TV : struct, ITileConst
        {
            Vector512<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default, c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default, c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default, c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
            for (int p = 0; p < kc; p++, a += MRc, b += NRc)
            {
                Sse.Prefetch0(a + PrefetchAhead);
                var b0 = Vector512.Load(b + 0);
                var b1 = TV.N > 1 ? Vector512.Load(b + 16) : default;
                var b2 = TV.N > 2 ? Vector512.Load(b + 32) : default;
                Vector512<float> av;
                av = Vector512.Create(a[0]);
                c00 = Avx512F.FusedMultiplyAdd(av, b0, c00);
                if (TV.N > 1) c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
                if (TV.N > 2) c02 = Avx512F.FusedMultiplyAdd(av, b2, c02);
                if (TR.N > 1)
                {
                    av = Vector512.Create(a[1]);
                    c10 = Avx512F.FusedMultiplyAdd(av, b0, c10);
                    if (TV.N > 1) c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
                    if (TV.N > 2) c12 = Avx512F.FusedMultiplyAdd(av, b2, c12);
                }
                if (TR.N > 2)
                {
                    av = Vector512.Create(a[2]);
                    c20 = Avx512F.FusedMultiplyAdd(av, b0, c20);
                    if (TV.N > 1) c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
                    if (TV.N > 2) c22 = Avx512F.FusedMultiplyAdd(av, b2, c22);
                }
                if (TR.N > 3)
                {
                    av = Vector512.Create(a[3]);
                    c30 = Avx512F.FusedMultiplyAdd(av, b0, c30);
                    if (TV.N > 1) c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
                    if (TV.N > 2) c32 = Avx512F.FusedMultiplyAdd(av, b2, c32);
                }
                if (TR.N > 4)
                {
                    av = Vector512.Create(a[4]);
                    c40 = Avx512F.FusedMultiplyAdd(av, b0, c40);
                    if (TV.N > 1) c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
                    if (TV.N > 2) c42 = Avx512F.FusedMultiplyAdd(av, b2, c42);
                }
                if (TR.N > 5)
                {
                    av = Vector512.Create(a[5]);
                    c50 = Avx512F.FusedMultiplyAdd(av, b0, c50);
                    if (TV.N > 1) c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
                    if (TV.N > 2) c52 = Avx512F.FusedMultiplyAdd(av, b2, c52);
                }
                if (TR.N > 6)
                {
                    av = Vector512.Create(a[6]);
                    c60 = Avx512F.FusedMultiplyAdd(av, b0, c60);
                    if (TV.N > 1) c61 = Avx512F.FusedMultiplyAdd(av, b1, c61);
                    if (TV.N > 2) c62 = Avx512F.FusedMultiplyAdd(av, b2, c62);
                }
                if (TR.N > 7)
                {
                    av = Vector512.Create(a[7]);
                    c70 = Avx512F.FusedMultiplyAdd(av, b0, c70);
                    if (TV.N > 1) c71 = Avx512F.FusedMultiplyAdd(av, b1, c71);
                    if (TV.N > 2) c72 = Avx512F.FusedMultiplyAdd(av, b2, c72);
                }
            }
            c00.Store(tile + 0*NRc + 0);
            if (TV.N > 1) c01.Store(tile + 0*NRc + 16);
            if (TV.N > 2) c02.Store(tile + 0*NRc + 32);
            if (TR.N > 1) c10.Store(tile + 1*NRc + 0);
            if (TR.N > 1 && TV.N > 1) c11.Store(tile + 1*NRc + 16);
            if (TR.N > 1 && TV.N > 2) c12.Store(tile + 1*NRc + 32);
            if (TR.N > 2) c20.Store(tile + 2*NRc + 0);
            if (TR.N > 2 && TV.N > 1) c21.Store(tile + 2*NRc + 16);
            if (TR.N > 2 && TV.N > 2) c22.Store(tile + 2*NRc + 32);
            if (TR.N > 3) c30.Store(tile + 3*NRc + 0);
            if (TR.N > 3 && TV.N > 1) c31.Store(tile + 3*NRc + 16);
            if (TR.N > 3 && TV.N > 2) c32.Store(tile + 3*NRc + 32);
            if (TR.N > 4) c40.Store(tile + 4*NRc + 0);
            if (TR.N > 4 && TV.N > 1) c41.Store(tile + 4*NRc + 16);
            if (TR.N > 4 && TV.N > 2) c42.Store(tile + 4*NRc + 32);
            if (TR.N > 5) c50.Store(tile + 5*NRc + 0);
            if (TR.N > 5 && TV.N > 1) c51.Store(tile + 5*NRc + 16);
            if (TR.N > 5 && TV.N > 2) c52.Store(tile + 5*NRc + 32);
            if (TR.N > 6) c60.Store(tile + 6*NRc + 0);
            if (TR.N > 6 && TV.N > 1) c61.Store(tile + 6*NRc + 16);
            if (TR.N > 6 && TV.N > 2) c62.Store(tile + 6*NRc + 32);
            if (TR.N > 7) c70.Store(tile + 7*NRc + 0);
            if (TR.N > 7 && TV.N > 1) c71.Store(tile + 7*NRc + 16);
            if (TR.N > 7 && TV.N > 2) c72.Store(tile + 7*NRc + 32);

        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        protected override void Store(float* tile, float* c, int ldc, int rows, int cols, in TileStore s, int i, int j)
        {
            var e = s.E;
            var alpha = Vector512.Create(e.Alpha);
            var beta = Vector512.Create(e.Beta);
            var lo = Vector512.Create(e.Lo);
            var hi = Vector512.Create(e.Hi);
            bool scale = e.Alpha != 1f, readC = !s.First || e.Beta != 0f, last = s.Last;
            var tail = Vector512.LessThan(Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create((float)(cols & 15)));
            for (int r = 0; r < rows; r++)
            {
                float* cr = c + (long)r * ldc;
                float* res = e.Residual + ((long)(i + r) * ldc + j);
                for (int v = 0; v < cols; v += 16)
                {
                    bool full = cols - v >= 16;
                    var x = Vector512.Load(tile + r * NRc + v);
                    if (scale) x *= alpha;
                    if (readC)
                    {
                        var old = full ? Vector512.Load(cr + v) : Avx512F.MaskLoad(cr + v, tail, Vector512<float>.Zero);
                        x = s.First ? Avx512F.FusedMultiplyAdd(beta, old, x) : x + old;
                    }
                    if (last)
                    {
                        if (e.RowBias != null) x += Vector512.Create(e.RowBias[i + r]);
                        if (e.ColBias != null) x += full ? Vector512.Load(e.ColBias + j + v) : Avx512F.MaskLoad(e.ColBias + j + v, tail, Vector512<float>.Zero);
                        if (e.Residual != null) x += full ? Vector512.Load(res + v) : Avx512F.MaskLoad(res + v, tail, Vector512<float>.Zero);
                        // vmaxps/vminps return the second operand when it is NaN, so NaN passes through.
                        if (e.Clamp) x = Avx512F.Min(hi, Avx512F.Max(lo, x));
                    }
                    if (full) x.Store(cr + v);
                    else Avx512F.MaskStore(cr + v, tail, x);
                }
            }
        }
    }
}
