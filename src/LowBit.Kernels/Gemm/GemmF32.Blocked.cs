using System.Runtime.CompilerServices;

namespace LowBit.Kernels.Gemm;

public static partial class GemmF32
{
    /// <summary>
    /// Goto-style blocked GEMM shared by the SIMD rows; a subclass supplies the register-tile micro-kernel and block sizes.
    /// Loop nest (per task, over its M range × N range):
    /// <code>
    /// for jc in N step NC:            B block  (KC × NC, packed, L2)
    ///   for pc in K step KC:
    ///     for ic in M step MC:        A block  (MC × KC, packed, L2)
    ///       for jr in NC step NR:     B panel  (KC × NR)
    ///         for ir in MC step MR:   A panel  (KC × MR) → MR×NR tile of C in registers
    /// </code>
    /// Packed layout (also of a pre-packed <see cref="PackedMatrix"/>): K in blocks of KC; block pc of a left operand holds
    /// ⌈M/MR⌉ panels, panel i at offset pc·Mpad + i·MR·kc, element (p, r) at p·MR + r; right operands likewise with NR.
    /// Padding rows/columns are zero. C is written once per k-block: the first applies beta, the last the epilogue.
    /// Threads split M or N (whole panels) into equal ranges, each packing its own operands.
    /// </summary>
    internal abstract unsafe partial class Blocked : SgemmKernel
    {
        /// <summary>Rows (broadcast A values) and columns (vector lanes) of the register tile.</summary>
        public abstract int MR { get; }
        public abstract int NR { get; }
        protected abstract int KC { get; }
        protected abstract int MC { get; }
        protected abstract int NC { get; }

        /// <summary>acc[MR×NR] = Σ_p a[p·MR + r]·b[p·NR + j] for r &lt; rows; written to <paramref name="tile"/> (stride NR).</summary>
        protected abstract void Multiply(int kc, float* a, float* b, float* tile, int rows, int cols);

        /// <summary>Merges a finished tile into C (alpha, beta or accumulate, epilogue on the last k-block).</summary>
        protected abstract void Store(float* tile, float* c, int ldc, int rows, int cols, in TileStore s, int i, int j);

        internal override long PackedLength(bool isLeft, int rows, int cols) =>
            isLeft ? (long)RoundUp(rows, MR) * cols : (long)rows * RoundUp(cols, NR);

        internal override void Pack(PackedMatrix dst, in Operand src)
        {
            float* d = dst.Pointer;
            if (dst.IsLeft)
            {
                int m = dst.Rows, k = dst.Cols, mpad = RoundUp(m, MR);
                for (int pc = 0; pc < k; pc += KC)
                    Packing.PackA(src, 0, m, pc, Math.Min(KC, k - pc), MR, d + (long)pc * mpad);
            }
            else
            {
                int k = dst.Rows, n = dst.Cols, npad = RoundUp(n, NR);
                for (int pc = 0; pc < k; pc += KC)
                    Packing.PackB(src, pc, Math.Min(KC, k - pc), 0, n, NR, d + (long)pc * npad);
            }
        }

        internal override void Run(int m, int n, int k, in Operand a, in Operand b, float* c, int ldc, in EpilogueArgs e, int threads) =>
            RunBatch(m, n, k, a, b, c, ldc, e, threads, 1, 0, 0);

        /// <summary>
        /// <paramref name="batch"/> products sharing A: C_i = A·B_i with B_i = b shifted by i·strideB and C_i (and its
        /// residual) shifted by i·strideC. Run as one product with the images' columns side by side (N·batch columns):
        /// A is streamed once per NC columns instead of once per image, and only the last image has edge tiles.
        /// </summary>
        internal override void RunBatch(int m, int n, int k, in Operand a, in Operand b, float* c, int ldc, in EpilogueArgs e, int threads,
            int batch, long strideB, long strideC)
        {
            if (k == 0)
            {
                for (int img = 0; img < batch; img++)
                {
                    var ei = e.Shifted(img * strideC);
                    float* ci = c + img * strideC;
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++)
                        {
                            float* cij = ci + (long)i * ldc + j;
                            *cij = ei.Apply(ei.Beta == 0 ? 0f : ei.Beta * *cij, i, j, ldc);
                        }
                }
                return;
            }
            if (batch > 1 && b.Kind == OperandKind.Packed) throw new InvalidOperationException("a batch needs one right operand per image");
            int total = checked(n * batch);
            var job = new Job(this, m, n, k, a, b, c, ldc, e, batch > 1 ? n : 0, strideB, strideC);
            var (tm, tn) = Grid(m, total, k, threads, a.Kind != OperandKind.Packed, b.Kind != OperandKind.Packed);
            if (tm * tn == 1)
            {
                job.Execute(0, m, 0, total);
                return;
            }
            int chunkM = RoundUp((m + tm - 1) / tm, MR), chunkN = RoundUp((total + tn - 1) / tn, NR);
            Parallelism.For(tm * tn, t =>
            {
                int m0 = t / tn * chunkM, n0 = t % tn * chunkN;
                if (m0 < m && n0 < total) job.Execute(m0, Math.Min(m, m0 + chunkM), n0, Math.Min(total, n0 + chunkN));
            });
        }

        /// <summary>
        /// Splits the threads into tm × tn tasks over whole register panels, minimizing the largest task's cost ≈ its
        /// rows (whole MR tiles) × columns (whole vectors: an edge tile computes only the vectors it needs) × K, plus
        /// 8 × the elements it packs (moving one float costs about as much as 8 FMA lanes). Products under 2¹⁷ MACs run
        /// on one thread (a task hand-off costs more).
        /// </summary>
        private (int, int) Grid(int m, int n, int k, int threads, bool packsA, bool packsB)
        {
            if (threads <= 1 || (long)m * n * k < 1 << 17) return (1, 1);
            int tilesM = (m + MR - 1) / MR, tilesN = (n + NR - 1) / NR;
            (int, int) best = (1, 1);
            double bestCost = double.MaxValue;
            for (int tm = 1; tm <= threads; tm++)
            {
                if (threads % tm != 0) continue;
                int tn = threads / tm;
                if (tm > tilesM || tn > tilesN) continue;
                int chunkM = (tilesM + tm - 1) / tm * MR, chunkN = (tilesN + tn - 1) / tn * NR;
                double worst = 0;
                for (int i = 0; i < tm; i++)
                    for (int j = 0; j < tn; j++)
                    {
                        long rows = RoundUp(Math.Clamp(m - i * chunkM, 0, chunkM), MR);
                        long cols = RoundUp(Math.Clamp(n - j * chunkN, 0, chunkN), VectorWidth);
                        worst = Math.Max(worst, (double)rows * cols * k + 8.0 * k * ((packsA ? rows : 0) + (packsB ? cols : 0)));
                    }
                if (worst < bestCost) { bestCost = worst; best = (tm, tn); }
            }
            return best;
        }

        protected static int RoundUp(int x, int to) => (x + to - 1) / to * to;

        /// <summary>Lanes of one vector: NR is a multiple of it and edge tiles compute whole vectors.</summary>
        protected abstract int VectorWidth { get; }

        /// <summary>
        /// Transposed when a row of N pixels fills under half of its vectors and M fills at least 3/4 of them (1×1 and
        /// 2×2 maps: 3× faster measured at N = 1 and 4). Not for moderate N such as ResNet's 7×7 = 49 (49/64 of the
        /// lanes): there streaming the weights bounds both forms and the extra im2col-transposed packing costs more.
        /// </summary>
        public override bool PrefersTransposedConv(int m, int n) =>
            (double)n / RoundUp(n, VectorWidth) < 0.5 && (double)m / RoundUp(m, VectorWidth) >= 0.75;

        /// <summary>
        /// One call's operands; <see cref="Execute"/> runs a task on the calling thread with its own buffers. With
        /// perImage &gt; 0, columns are those of a batch side by side (see <see cref="RunBatch"/>) and a tile's store is
        /// split where it crosses from one image's C into the next.
        /// </summary>
        private sealed class Job(Blocked kernel, int m, int n, int k, Operand a, Operand b, float* c, int ldc, EpilogueArgs e,
            int perImage, long strideB, long strideC)
        {
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            public void Execute(int m0, int m1, int n0, int n1)
            {
                var K = kernel;
                int mr = K.MR, nr = K.NR, kcMax = K.KC;
                int mpad = RoundUp(m, mr), npad = RoundUp(n, nr);
                bool packedA = a.Kind == OperandKind.Packed, packedB = b.Kind == OperandKind.Packed;
                float* bufA = packedA ? null : PackBuffers.A(K.MC * kcMax);
                float* bufB = packedB ? null : PackBuffers.B(K.NC * kcMax);
                float* tile = stackalloc float[mr * nr + 16];
                for (int jc = n0; jc < n1; jc += K.NC)
                {
                    int nc = Math.Min(K.NC, n1 - jc);
                    for (int pc = 0; pc < k; pc += kcMax)
                    {
                        int kc = Math.Min(kcMax, k - pc);
                        float* bp = packedB ? b.Ptr + (long)pc * npad + (long)jc * kc : bufB;
                        if (!packedB) Packing.PackB(b, pc, kc, jc, nc, nr, bufB, perImage, strideB);
                        var s = new TileStore(e) { First = pc == 0, Last = pc + kc == k };
                        for (int ic = m0; ic < m1; ic += K.MC)
                        {
                            int mc = Math.Min(K.MC, m1 - ic);
                            float* ap = packedA ? a.Ptr + (long)pc * mpad + (long)ic * kc : bufA;
                            if (!packedA) Packing.PackA(a, ic, mc, pc, kc, mr, bufA);
                            for (int jr = 0; jr < nc; jr += nr)
                            {
                                int cols = Math.Min(nr, nc - jr);
                                for (int ir = 0; ir < mc; ir += mr)
                                {
                                    int rows = Math.Min(mr, mc - ir), i = ic + ir, j = jc + jr;
                                    K.Multiply(kc, ap + (long)ir * kc, bp + (long)jr * kc, tile, rows, cols);
                                    if (perImage == 0) K.Store(tile, c + (long)i * ldc + j, ldc, rows, cols, s, i, j);
                                    else StoreAcrossImages(tile, rows, cols, i, j, s);
                                }
                            }
                        }
                    }
                }
            }

            /// <summary>Stores tile columns [0, cols) = global columns [j, j+cols) image by image.</summary>
            private void StoreAcrossImages(float* tile, int rows, int cols, int i, int j, in TileStore s)
            {
                for (int off = 0; off < cols;)
                {
                    int img = (j + off) / perImage, pix = (j + off) % perImage, len = Math.Min(cols - off, perImage - pix);
                    var si = new TileStore(s.E.Shifted(img * strideC)) { First = s.First, Last = s.Last };
                    kernel.Store(tile + off, c + img * strideC + (long)i * ldc + pix, ldc, rows, len, si, i, pix);
                    off += len;
                }
            }
        }
    }

    /// <summary>Per-k-block view of the epilogue for <see cref="Blocked.Store"/>.</summary>
    internal unsafe struct TileStore(EpilogueArgs e)
    {
        public readonly EpilogueArgs E = e;
        /// <summary>First k-block: C = alpha·acc + beta·C (C unread when beta = 0). Later blocks: C += alpha·acc.</summary>
        public bool First;
        /// <summary>Last k-block: apply bias, residual and activation.</summary>
        public bool Last;
    }
}
