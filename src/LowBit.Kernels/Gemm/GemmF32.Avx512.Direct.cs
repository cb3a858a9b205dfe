using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LowBit.Kernels.Gemm;

public static partial class GemmF32
{
    internal sealed unsafe partial class Avx512
    {
        /// <summary>The micro-kernel with B read in place from a padded image: k-step p reads NR consecutive floats at
        /// x + offsets[p] (see <see cref="Blocked.ConvDirect"/>).</summary>
        protected override void MultiplyDirect(int kc, float* a, float* x, int* offsets, float* tile, int rows, int cols)
        {
            switch ((cols + 15) >> 4)
            {
                case 3: DirectByRows<T3>(kc, a, x, offsets, tile, rows); break;
                case 2: DirectByRows<T2>(kc, a, x, offsets, tile, rows); break;
                default: DirectByRows<T1>(kc, a, x, offsets, tile, rows); break;
            }
        }

        private static void DirectByRows<TV>(int kc, float* a, float* x, int* offsets, float* tile, int rows) where TV : struct, ITileConst
        {
            switch (rows)
            {
                case 8: KernelDirect<T8, TV>(kc, a, x, offsets, tile); break;
                case 7: KernelDirect<T7, TV>(kc, a, x, offsets, tile); break;
                case 6: KernelDirect<T6, TV>(kc, a, x, offsets, tile); break;
                case 5: KernelDirect<T5, TV>(kc, a, x, offsets, tile); break;
                case 4: KernelDirect<T4, TV>(kc, a, x, offsets, tile); break;
                case 3: KernelDirect<T3, TV>(kc, a, x, offsets, tile); break;
                case 2: KernelDirect<T2, TV>(kc, a, x, offsets, tile); break;
                default: KernelDirect<T1, TV>(kc, a, x, offsets, tile); break;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void KernelDirect<TR, TV>(int kc, float* a, float* x, int* offsets, float* tile) where TR : struct, ITileConst where TV : struct, ITileConst
        {
            Vector512<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default, c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default, c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default, c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
            for (int p = 0; p < kc; p++, a += MRc)
            {
                float* b = x + offsets[p];
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
    }
}
