using System.Runtime.CompilerServices;
using LowBit.Kernels.Conv;

namespace LowBit.Kernels.Gemm;

public static partial class GemmF32
{
    internal abstract unsafe partial class Blocked
    {
        /// <summary>
        /// acc[MR×NR] = Σ_p a[p·MR + r]·x[offsets[p] + j]: the micro-kernel with the right panel read in place from a
        /// padded image instead of a packed panel.
        /// </summary>
        protected abstract void MultiplyDirect(int kc, float* a, float* x, int* offsets, float* tile, int rows, int cols);

        /// <summary>
        /// Stride-1 convolution without im2col packing. The image is copied once into a zero-padded buffer of
        /// rows Hp = OutH + (KH−1)·dh and columns Wp = OutW + (KW−1)·dw; output pixel (oh, ow) becomes column
        /// q = oh·Wp + ow, and im2col element (k = (c, kh, kw), q) is padded[q + c·Hp·Wp + kh·dh·Wp + kw·dw]: for a fixed k
        /// consecutive q are consecutive floats, so the micro-kernel loads B straight from the image (offset table per k).
        /// Columns with ow ≥ OutW are computed and never stored, so the path is taken only when they are ≤ 1/7 of Wp
        /// (3×3 on maps ≥ 12 wide). Packing B cost ~25% of a 64-channel 3×3 layer; this removes it.
        /// </summary>
        internal override bool TryConvDirect(PackedMatrix weights, float* x, in Conv2DShape s, float* y, in EpilogueArgs e, int threads)
        {
            if (s.StrideH != 1 || s.StrideW != 1 || !weights.IsLeft) return false;
            int extH = (s.KernelH - 1) * s.DilationH, extW = (s.KernelW - 1) * s.DilationW;
            int hp = s.OutH + extH, wp = s.OutW + extW;
            if (7L * extW > wp || s.OutH == 0 || s.OutW == 0) return false;
            long plane = (long)hp * wp, length = s.Channels * plane + 2L * wp + NR + 64;
            if (length > int.MaxValue || s.K > int.MaxValue / 2) return false;

            float* xp = PackBuffers.Padded((int)length);
            new Span<float>(xp, (int)length).Clear();
            int rowsIn = Math.Min(s.Height, hp - s.PadTop), colsIn = Math.Min(s.Width, wp - s.PadLeft);
            for (int c = 0; c < s.Channels; c++)
                for (int ih = 0; ih < rowsIn; ih++)
                    PanelCopy.Copy(x + ((long)c * s.Height + ih) * s.Width, xp + c * plane + (long)(ih + s.PadTop) * wp + s.PadLeft, colsIn);

            int* offsets = PackBuffers.Offsets(s.K);
            for (int c = 0, k = 0; c < s.Channels; c++)
                for (int kh = 0; kh < s.KernelH; kh++)
                    for (int kw = 0; kw < s.KernelW; kw++)
                        offsets[k++] = (int)(c * plane + (long)kh * s.DilationH * wp + kw * s.DilationW);

            int m = weights.Rows, columns = (s.OutH - 1) * wp + s.OutW;
            var job = new DirectJob(this, m, s.K, weights.Pointer, xp, offsets, y, s.OutW, wp, s.N, e);
            var (tm, tn) = Grid(m, columns, s.K, threads, false, false);
            if (tm * tn == 1)
            {
                job.Execute(0, m, 0, columns);
                return true;
            }
            int chunkM = RoundUp((m + tm - 1) / tm, MR), chunkN = RoundUp((columns + tn - 1) / tn, NR);
            Parallelism.For(tm * tn, t =>
            {
                int m0 = t / tn * chunkM, n0 = t % tn * chunkN;
                if (m0 < m && n0 < columns) job.Execute(m0, Math.Min(m, m0 + chunkM), n0, Math.Min(columns, n0 + chunkN));
            });
            return true;
        }

        private sealed class DirectJob(Blocked kernel, int m, int k, float* a, float* xp, int* offsets, float* y, int outW, int wp,
            int ldc, EpilogueArgs e)
        {
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            public void Execute(int m0, int m1, int q0, int q1)
            {
                var K = kernel;
                int mr = K.MR, nr = K.NR, kcMax = K.KC, mpad = RoundUp(m, mr);
                float* tile = stackalloc float[mr * nr + 16];
                for (int jc = q0; jc < q1; jc += K.NC)
                {
                    int nc = Math.Min(K.NC, q1 - jc);
                    for (int pc = 0; pc < k; pc += kcMax)
                    {
                        int kc = Math.Min(kcMax, k - pc);
                        var s = new TileStore(e) { First = pc == 0, Last = pc + kc == k };
                        for (int ic = m0; ic < m1; ic += K.MC)
                        {
                            int mc = Math.Min(K.MC, m1 - ic);
                            float* ap = a + (long)pc * mpad + (long)ic * kc;
                            for (int jr = 0; jr < nc; jr += nr)
                            {
                                int cols = Math.Min(nr, nc - jr), q = jc + jr;
                                for (int ir = 0; ir < mc; ir += mr)
                                {
                                    int rows = Math.Min(mr, mc - ir), i = ic + ir;
                                    K.MultiplyDirect(kc, ap + (long)ir * kc, xp + q, offsets + pc, tile, rows, cols);
                                    StoreValid(tile, rows, cols, i, q, s);
                                }
                            }
                        }
                    }
                }
            }

            /// <summary>Stores the tile's columns q.. that are real pixels (ow &lt; outW), row segment by row segment.</summary>
            private void StoreValid(float* tile, int rows, int cols, int i, int q, in TileStore s)
            {
                for (int off = 0; off < cols;)
                {
                    int oh = (q + off) / wp, ow = (q + off) % wp;
                    if (ow >= outW)
                    {
                        off += wp - ow;
                        continue;
                    }
                    int len = Math.Min(cols - off, outW - ow), j = oh * outW + ow;
                    kernel.Store(tile + off, y + (long)i * ldc + j, ldc, rows, len, s, i, j);
                    off += len;
                }
            }
        }
    }
}
