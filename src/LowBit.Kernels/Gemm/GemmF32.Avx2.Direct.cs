using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LowBit.Kernels.Gemm;

public static partial class GemmF32
{
    internal sealed unsafe partial class Avx2
    {
        /// <summary>The micro-kernel with B read in place from a padded image: k-step p reads NR consecutive floats at
        /// x + offsets[p] (see <see cref="Blocked.ConvDirect"/>).</summary>
        protected override void MultiplyDirect(int kc, float* a, float* x, int* offsets, float* tile, int rows, int cols)
        {
            switch ((cols + 7) >> 3)
            {
                case 2: DirectByRows<T2>(kc, a, x, offsets, tile, rows); break;
                default: DirectByRows<T1>(kc, a, x, offsets, tile, rows); break;
            }
        }

        private static void DirectByRows<TV>(int kc, float* a, float* x, int* offsets, float* tile, int rows) where TV : struct, ITileConst
        {
            switch (rows)
            {
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
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            for (int p = 0; p < kc; p++, a += MRc)
            {
                float* b = x + offsets[p];
                Sse.Prefetch0(a + PrefetchAhead);
                var b0 = Vector256.Load(b + 0);
                var b1 = TV.N > 1 ? Vector256.Load(b + 8) : default;
                Vector256<float> av;
                av = Vector256.Create(a[0]);
                c00 = Fma.MultiplyAdd(av, b0, c00);
                if (TV.N > 1) c01 = Fma.MultiplyAdd(av, b1, c01);
                if (TR.N > 1)
                {
                    av = Vector256.Create(a[1]);
                    c10 = Fma.MultiplyAdd(av, b0, c10);
                    if (TV.N > 1) c11 = Fma.MultiplyAdd(av, b1, c11);
                }
                if (TR.N > 2)
                {
                    av = Vector256.Create(a[2]);
                    c20 = Fma.MultiplyAdd(av, b0, c20);
                    if (TV.N > 1) c21 = Fma.MultiplyAdd(av, b1, c21);
                }
                if (TR.N > 3)
                {
                    av = Vector256.Create(a[3]);
                    c30 = Fma.MultiplyAdd(av, b0, c30);
                    if (TV.N > 1) c31 = Fma.MultiplyAdd(av, b1, c31);
                }
                if (TR.N > 4)
                {
                    av = Vector256.Create(a[4]);
                    c40 = Fma.MultiplyAdd(av, b0, c40);
                    if (TV.N > 1) c41 = Fma.MultiplyAdd(av, b1, c41);
                }
                if (TR.N > 5)
                {
                    av = Vector256.Create(a[5]);
                    c50 = Fma.MultiplyAdd(av, b0, c50);
                    if (TV.N > 1) c51 = Fma.MultiplyAdd(av, b1, c51);
                }
            }
            c00.Store(tile + 0*NRc + 0);
            if (TV.N > 1) c01.Store(tile + 0*NRc + 8);
            if (TR.N > 1) c10.Store(tile + 1*NRc + 0);
            if (TR.N > 1 && TV.N > 1) c11.Store(tile + 1*NRc + 8);
            if (TR.N > 2) c20.Store(tile + 2*NRc + 0);
            if (TR.N > 2 && TV.N > 1) c21.Store(tile + 2*NRc + 8);
            if (TR.N > 3) c30.Store(tile + 3*NRc + 0);
            if (TR.N > 3 && TV.N > 1) c31.Store(tile + 3*NRc + 8);
            if (TR.N > 4) c40.Store(tile + 4*NRc + 0);
            if (TR.N > 4 && TV.N > 1) c41.Store(tile + 4*NRc + 8);
            if (TR.N > 5) c50.Store(tile + 5*NRc + 0);
            if (TR.N > 5 && TV.N > 1) c51.Store(tile + 5*NRc + 8);
        }
    }
}
