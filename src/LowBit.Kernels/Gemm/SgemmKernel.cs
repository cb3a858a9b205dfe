using LowBit.Kernels.Conv;

namespace LowBit.Kernels.Gemm;

/// <summary>How a GEMM operand is read: a strided matrix (optionally transposed), a <see cref="PackedMatrix"/>,
/// or the implicit im2col matrix of a convolution image: as a right operand (K×N) or, transposed, as a left one (N×K).</summary>
internal enum OperandKind { Plain, Packed, Im2Col, Im2ColT }

internal unsafe struct Operand
{
    public OperandKind Kind;
    public float* Ptr;
    public int Ld;
    public bool Trans;
    public PackedMatrix? Packed;
    public Conv2DShape Conv;

    public static Operand Plain(float* p, int ld, bool trans) => new() { Kind = OperandKind.Plain, Ptr = p, Ld = ld, Trans = trans };
    public static Operand FromPacked(PackedMatrix m) => new() { Kind = OperandKind.Packed, Ptr = m.Pointer, Packed = m };
    public static Operand FromImage(float* x, in Conv2DShape s) => new() { Kind = OperandKind.Im2Col, Ptr = x, Conv = s };
    public static Operand FromImageTransposed(float* x, in Conv2DShape s) => new() { Kind = OperandKind.Im2ColT, Ptr = x, Conv = s };
}

/// <summary>The pinned form of a <see cref="GemmEpilogue"/> plus alpha/beta, valid during one call.</summary>
internal unsafe struct EpilogueArgs
{
    public float Alpha, Beta;
    public float* RowBias, ColBias, Residual;
    public float Lo, Hi;
    public bool Clamp;

    /// <summary>The same epilogue for a C that starts <paramref name="offset"/> floats later (the residual moves with C;
    /// biases are per row/column and do not).</summary>
    public readonly EpilogueArgs Shifted(long offset)
    {
        var e = this;
        if (e.Residual != null) e.Residual += offset;
        return e;
    }

    public readonly float Apply(float x, int i, int j, int ldc)
    {
        if (RowBias != null) x += RowBias[i];
        if (ColBias != null) x += ColBias[j];
        if (Residual != null) x += Residual[(long)i * ldc + j];
        if (Clamp)
        {
            x = x < Lo ? Lo : x;
            x = x > Hi ? Hi : x;
        }
        return x;
    }
}

/// <summary>
/// One single-precision GEMM implementation (a <see cref="KernelTable"/> row):
/// <c>C = act(alpha·op(A)·op(B) + beta·C + bias + residual)</c>, row-major with leading dimensions, op(X) = X or Xᵀ.
/// When beta is 0, C is not read (it may hold garbage, even NaN). Public methods validate spans and pin them;
/// implementations work on raw pointers.
/// </summary>
public abstract unsafe class SgemmKernel
{
    public abstract string Name { get; }

    /// <summary>Computes with pointers; operands were validated and pinned by the caller.</summary>
    internal abstract void Run(int m, int n, int k, in Operand a, in Operand b, float* c, int ldc, in EpilogueArgs e, int threads);

    /// <summary>C_i = A·B_i for i &lt; batch, B_i and C_i (with its residual) at i·strideB and i·strideC.</summary>
    internal virtual void RunBatch(int m, int n, int k, in Operand a, in Operand b, float* c, int ldc, in EpilogueArgs e, int threads,
        int batch, long strideB, long strideC)
    {
        for (int i = 0; i < batch; i++)
        {
            var bi = b;
            if (bi.Kind != OperandKind.Packed) bi.Ptr += i * strideB;
            Run(m, n, k, a, bi, c + i * strideC, ldc, e.Shifted(i * strideC), threads);
        }
    }

    /// <summary>Runs one convolution image without im2col when the kernel has such a path for this geometry
    /// (output [M, N] at y with ldc N); false to use the im2col GEMM.</summary>
    internal virtual bool TryConvDirect(PackedMatrix weights, float* x, in Conv2DShape s, float* y, in EpilogueArgs e, int threads) => false;

    /// <summary>Rearranges op(X) (rows×cols) into this kernel's packed layout for a left (A) or right (B) operand.</summary>
    internal abstract void Pack(PackedMatrix dst, in Operand src);

    /// <summary>Floats a packed left (M×K) or right (K×N) operand occupies in this kernel's layout.</summary>
    internal abstract long PackedLength(bool isLeft, int rows, int cols);

    public override string ToString() => Name;

    /// <summary>C[m×n] = alpha·op(A)·op(B) + beta·C, then the epilogue. op(A) is m×k, op(B) is k×n.</summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, scoped in GemmEpilogue epilogue = default, int threads = 0)
    {
        CheckMatrix(a, transA ? k : m, transA ? m : k, lda, "A");
        CheckMatrix(b, transB ? n : k, transB ? k : n, ldb, "B");
        CheckOutput(c, m, n, ldc, epilogue);
        fixed (float* pa = a, pb = b)
            Execute(m, n, k, Operand.Plain(pa, lda, transA), Operand.Plain(pb, ldb, transB), alpha, beta, c, ldc, epilogue, threads);
    }

    /// <summary>Packs op(A) (m×k) once for repeated <see cref="Gemm(PackedMatrix, bool, int, ReadOnlySpan{float}, int, float, float, Span{float}, int, in GemmEpilogue, int)"/>.</summary>
    public PackedMatrix PackA(bool transA, int m, int k, ReadOnlySpan<float> a, int lda)
    {
        CheckMatrix(a, transA ? k : m, transA ? m : k, lda, "A");
        var p = new PackedMatrix(this, true, m, k, checked((int)PackedLength(true, m, k)));
        fixed (float* pa = a) Pack(p, Operand.Plain(pa, lda, transA));
        return p;
    }

    /// <summary>Packs op(B) (k×n) once (weights reused across runs).</summary>
    public PackedMatrix PackB(bool transB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        CheckMatrix(b, transB ? n : k, transB ? k : n, ldb, "B");
        var p = new PackedMatrix(this, false, k, n, checked((int)PackedLength(false, k, n)));
        fixed (float* pb = b) Pack(p, Operand.Plain(pb, ldb, transB));
        return p;
    }

    /// <summary>C = alpha·A·op(B) + beta·C with A pre-packed (m×k).</summary>
    public void Gemm(PackedMatrix a, bool transB, int n, ReadOnlySpan<float> b, int ldb, float alpha, float beta,
        Span<float> c, int ldc, scoped in GemmEpilogue epilogue = default, int threads = 0)
    {
        CheckPacked(a, true);
        int m = a.Rows, k = a.Cols;
        CheckMatrix(b, transB ? n : k, transB ? k : n, ldb, "B");
        CheckOutput(c, m, n, ldc, epilogue);
        fixed (float* pb = b)
            Execute(m, n, k, Operand.FromPacked(a), Operand.Plain(pb, ldb, transB), alpha, beta, c, ldc, epilogue, threads);
    }

    /// <summary>C = alpha·op(A)·B + beta·C with B pre-packed (k×n).</summary>
    public void Gemm(bool transA, int m, ReadOnlySpan<float> a, int lda, PackedMatrix b, float alpha, float beta,
        Span<float> c, int ldc, scoped in GemmEpilogue epilogue = default, int threads = 0)
    {
        CheckPacked(b, false);
        int k = b.Rows, n = b.Cols;
        CheckMatrix(a, transA ? k : m, transA ? m : k, lda, "A");
        CheckOutput(c, m, n, ldc, epilogue);
        fixed (float* pa = a)
            Execute(m, n, k, Operand.Plain(pa, lda, transA), Operand.FromPacked(b), alpha, beta, c, ldc, epilogue, threads);
    }

    /// <summary>
    /// One convolution image as a GEMM: output[M, OutH·OutW] = W[M, K] · im2col(input)[K, OutH·OutW] (then the
    /// epilogue; RowBias is the per-channel bias), without materializing im2col. <paramref name="weights"/> is W packed
    /// as a left operand (<see cref="PackA"/>), or Wᵀ packed as a right operand (<see cref="PackB"/> with transB on W):
    /// then the product runs transposed, outputᵀ = im2colᵀ · Wᵀ, into scratch and is transposed back with the epilogue.
    /// That wins when OutH·OutW is small and M is not (see <see cref="PrefersTransposedConv"/>): the vector lanes then
    /// run along the channels instead of a short, padded row of pixels.
    /// </summary>
    public void Conv2D(PackedMatrix weights, ReadOnlySpan<float> input, in Conv2DShape shape, Span<float> output,
        scoped in GemmEpilogue epilogue = default, int threads = 0)
    {
        shape.Validate();
        if (weights.Kernel != this) throw new ArgumentException($"matrix was packed by kernel '{weights.Kernel.Name}', not '{Name}'");
        int k = weights.IsLeft ? weights.Cols : weights.Rows, m = weights.IsLeft ? weights.Rows : weights.Cols, n = shape.N;
        if (k != shape.K) throw new ArgumentException($"weights have {k} columns, im2col has {shape.K} rows");
        if (input.Length < shape.InputLength) throw new ArgumentException("input is shorter than the convolution geometry");
        CheckOutput(output, m, n, n, epilogue);
        fixed (float* px = input)
        {
            if (weights.IsLeft)
            {
                if (m == 0 || n == 0) return;
                var (lo, hi) = epilogue.Bounds;
                fixed (float* py = output, rb = epilogue.RowBias, cb = epilogue.ColBias, res = epilogue.Residual)
                {
                    var e = new EpilogueArgs
                    {
                        Alpha = 1f, Lo = lo, Hi = hi, Clamp = epilogue.Activation != GemmActivation.None,
                        RowBias = epilogue.RowBias.IsEmpty ? null : rb,
                        ColBias = epilogue.ColBias.IsEmpty ? null : cb,
                        Residual = epilogue.Residual.IsEmpty ? null : res,
                    };
                    int degree = threads <= 0 ? Parallelism.Degree : threads;
                    if (TryConvDirect(weights, px, shape, py, e, degree)) return;
                    var b = shape.IsPointwise ? Operand.Plain(px, n, false) : Operand.FromImage(px, shape);
                    Run(m, n, k, Operand.FromPacked(weights), b, py, n, e, degree);
                }
                return;
            }
            if (m == 0 || n == 0) return;
            float* t = PackBuffers.Scratch(checked(n * m));
            var a = shape.IsPointwise ? Operand.Plain(px, n, true) : Operand.FromImageTransposed(px, shape);
            Run(n, m, k, a, Operand.FromPacked(weights), t, m, new EpilogueArgs { Alpha = 1f, Lo = float.NegativeInfinity, Hi = float.PositiveInfinity },
                threads <= 0 ? Parallelism.Degree : threads);
            for (int i = 0; i < m; i++)
            {
                var row = output.Slice(i * n, n);
                for (int j = 0; j < n; j++) row[j] = epilogue.Apply(t[(long)j * m + i], i, j, n);
            }
        }
    }

    /// <summary>
    /// <paramref name="images"/> convolution images with left-packed weights: image i reads input[i·inputStride …] and
    /// writes output[i·outputStride …] (the residual follows the output's layout). The images' pixels form one long row
    /// of columns, so the weights stream once per block of columns instead of once per image and only the last image
    /// has edge tiles; that pays when the weights outweigh one image's im2col (deep layers: M·K ≫ K·N).
    /// </summary>
    public void Conv2D(PackedMatrix weights, ReadOnlySpan<float> input, long inputStride, int images, in Conv2DShape shape,
        Span<float> output, long outputStride, scoped in GemmEpilogue epilogue = default, int threads = 0)
    {
        shape.Validate();
        if (!weights.IsLeft || weights.Kernel != this) throw new ArgumentException("batched convolution needs weights packed by PackA of this kernel");
        int m = weights.Rows, n = shape.N;
        if (weights.Cols != shape.K) throw new ArgumentException($"weights have {weights.Cols} columns, im2col has {shape.K} rows");
        if (images < 1) throw new ArgumentException("images must be positive");
        if (inputStride < shape.InputLength || outputStride < (long)m * n) throw new ArgumentException("image strides overlap");
        if (input.Length < (images - 1) * inputStride + shape.InputLength) throw new ArgumentException("input is shorter than the images");
        long span = (images - 1) * outputStride + (long)m * n;
        if (output.Length < span || (!epilogue.Residual.IsEmpty && epilogue.Residual.Length < span))
            throw new ArgumentException("output or residual is shorter than the images");
        if (!epilogue.RowBias.IsEmpty && epilogue.RowBias.Length < m) throw new ArgumentException("row bias is shorter than M");
        if (!epilogue.ColBias.IsEmpty) throw new ArgumentException("a convolution takes a row (channel) bias only");
        if (m == 0 || n == 0) return;
        var (lo, hi) = epilogue.Bounds;
        fixed (float* px = input, pc = output, rb = epilogue.RowBias, res = epilogue.Residual)
        {
            var e = new EpilogueArgs
            {
                Alpha = 1f, Lo = lo, Hi = hi, Clamp = epilogue.Activation != GemmActivation.None,
                RowBias = epilogue.RowBias.IsEmpty ? null : rb,
                Residual = epilogue.Residual.IsEmpty ? null : res,
            };
            var b = shape.IsPointwise ? Operand.Plain(px, n, false) : Operand.FromImage(px, shape);
            RunBatch(m, n, shape.K, Operand.FromPacked(weights), b, pc, n, e, threads <= 0 ? Parallelism.Degree : threads, images, inputStride, outputStride);
        }
    }

    /// <summary>True when a convolution with M output channels and N output pixels runs faster transposed (pack the
    /// weights with <see cref="PackB"/>(transB: true) then): the share of padded vector lanes is lower along M.</summary>
    public virtual bool PrefersTransposedConv(int m, int n) => false;

    private void Execute(int m, int n, int k, in Operand a, in Operand b, float alpha, float beta, Span<float> c, int ldc,
        scoped in GemmEpilogue ep, int threads)
    {
        if (m == 0 || n == 0) return;
        if (threads <= 0) threads = Parallelism.Degree;
        var (lo, hi) = ep.Bounds;
        fixed (float* pc = c, rb = ep.RowBias, cb = ep.ColBias, res = ep.Residual)
        {
            var e = new EpilogueArgs
            {
                Alpha = alpha, Beta = beta, Lo = lo, Hi = hi, Clamp = ep.Activation != GemmActivation.None,
                RowBias = ep.RowBias.IsEmpty ? null : rb,
                ColBias = ep.ColBias.IsEmpty ? null : cb,
                Residual = ep.Residual.IsEmpty ? null : res,
            };
            Run(m, n, k, a, b, pc, ldc, e, threads);
        }
    }

    private void CheckPacked(PackedMatrix p, bool left)
    {
        if (p.Kernel != this) throw new ArgumentException($"matrix was packed by kernel '{p.Kernel.Name}', not '{Name}'");
        if (p.IsLeft != left) throw new ArgumentException($"matrix was packed as a {(p.IsLeft ? "left" : "right")} operand");
    }

    private static void CheckMatrix(ReadOnlySpan<float> x, int rows, int cols, int ld, string name)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"{name}: negative dimension");
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentException($"{name}: leading dimension {ld} < {cols} columns");
        if (x.Length < (long)(rows - 1) * ld + cols) throw new ArgumentException($"{name}: {x.Length} elements are too few for {rows}×{cols} with ld {ld}");
    }

    internal static void CheckOutput(Span<float> c, int m, int n, int ldc, scoped in GemmEpilogue ep)
    {
        CheckMatrix(c, m, n, ldc, "C");
        if (!ep.RowBias.IsEmpty && ep.RowBias.Length < m) throw new ArgumentException("row bias is shorter than M");
        if (!ep.ColBias.IsEmpty && ep.ColBias.Length < n) throw new ArgumentException("column bias is shorter than N");
        if (!ep.Residual.IsEmpty && m > 0 && n > 0 && ep.Residual.Length < (long)(m - 1) * ldc + n)
            throw new ArgumentException("residual is shorter than C");
    }
}
