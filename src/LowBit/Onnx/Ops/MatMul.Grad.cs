using LowBit.Kernels;
using LowBit.Kernels.Gemm;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of Gemm and MatMul on the SGEMM kernels (float32; other float types through float32).
/// Gemm Y = α·op(A)·op(B) + β·C: d op(A) = α·dY·op(B)ᵀ, d op(B) = α·op(A)ᵀ·dY, each transposed back when the operand
/// was, and dC = β·dY summed to C's broadcast shape. MatMul (numpy batching): dA_b = dY_b·B_bᵀ, dB_b = A_bᵀ·dY_b per
/// batch, summed where an operand's batch dims were broadcast; a 2-D B folds the batch into the rows (one GEMM each).
/// </summary>
internal static class MatMulGrad
{
    [Grad("Gemm", 1)]
    public static Tensor?[] Gemm(GradContext ctx, Tensor a, Tensor b, Tensor? c = null, float alpha = 1f, float beta = 1f,
        long transA = 0, long transB = 0)
    {
        if (!a.DType.IsFloat()) return [null, null, null];
        bool ta = transA != 0, tb = transB != 0;
        var (m, n, k) = MatMulOps.GemmDims(a, b, ta, tb);
        var a32 = Elementwise.ToFloat32(a).AsReadOnlySpan<float>();
        var b32 = Elementwise.ToFloat32(b).AsReadOnlySpan<float>();
        var dyT = Elementwise.ToFloat32(ctx.OutputGrad());
        var dy = dyT.AsReadOnlySpan<float>();
        int lda = a.Shape[1], ldb = b.Shape[1];
        var kernel = GemmF32.Kernel;
        Tensor? da = null, db = null, dc = null;
        if (ctx.Needs(0))
        {
            da = Tensor.Empty(DType.Float32, a.Shape);
            if (!ta) kernel.Gemm(false, !tb, m, k, n, alpha, dy, n, b32, ldb, 0f, da.AsSpan<float>(), k); // dY·op(B)ᵀ
            else kernel.Gemm(tb, true, k, m, n, alpha, b32, ldb, dy, n, 0f, da.AsSpan<float>(), m);      // op(B)·dYᵀ
            da = Back(da, a);
        }
        if (ctx.Needs(1))
        {
            db = Tensor.Empty(DType.Float32, b.Shape);
            if (!tb) kernel.Gemm(!ta, false, k, n, m, alpha, a32, lda, dy, n, 0f, db.AsSpan<float>(), n); // op(A)ᵀ·dY
            else kernel.Gemm(true, ta, n, k, m, alpha, dy, n, a32, lda, 0f, db.AsSpan<float>(), k);      // dYᵀ·op(A)
            db = Back(db, b);
        }
        if (c is not null && ctx.Needs(2))
        {
            dc = GradReduce.SumTo(dyT, c.Shape, DType.Float32);
            dc = beta == 1f ? dc : GradElementwise.Scale(dc, dc, beta);
            dc = Back(dc, c);
        }
        return [da, db, dc];
    }

    [Grad("MatMul", 1)]
    public static Tensor?[] MatMul(GradContext ctx, Tensor a, Tensor b)
    {
        if (!a.DType.IsFloat()) return [null, null];
        var aShape = a.Rank == 1 ? new[] { 1, a.Shape[0] } : a.Shape;
        var bShape = b.Rank == 1 ? new[] { b.Shape[0], 1 } : b.Shape;
        int m = aShape[^2], k = aShape[^1], n = bShape[^1];
        var a32 = Elementwise.ToFloat32(a);
        var b32 = Elementwise.ToFloat32(b);
        var dy = Elementwise.ToFloat32(ctx.OutputGrad());
        var kernel = GemmF32.Kernel;
        Tensor? da = null, db = null;
        if (bShape.Length == 2)
        {
            // [batch·M, K] × [K, N]: the batch is more rows of one GEMM.
            int rows = a.Length / Math.Max(1, k);
            if (ctx.Needs(0))
            {
                da = Tensor.Empty(DType.Float32, a.Shape);
                kernel.Gemm(false, true, rows, k, n, 1f, dy.AsReadOnlySpan<float>(), n, b32.AsReadOnlySpan<float>(), n, 0f, da.AsSpan<float>(), k);
            }
            if (ctx.Needs(1))
            {
                db = Tensor.Empty(DType.Float32, b.Shape);
                kernel.Gemm(true, false, k, n, rows, 1f, a32.AsReadOnlySpan<float>(), k, dy.AsReadOnlySpan<float>(), n, 0f, db.AsSpan<float>(), n);
            }
            return [da is null ? null : Back(da, a), db is null ? null : Back(db, b)];
        }
        var batch = Broadcast.Shape(aShape[..^2], bShape[..^2]);
        int[] full = batch.Length == 0 ? [1] : batch;
        var aIdx = Broadcast.SourceIndex(aShape[..^2].Length == 0 ? [1] : aShape[..^2], full);
        var bIdx = Broadcast.SourceIndex(bShape[..^2].Length == 0 ? [1] : bShape[..^2], full);
        if (ctx.Needs(0))
        {
            // dA_b[M, K] += dY_b[M, N]·B_bᵀ
            var target = Tensor.Zeros(DType.Float32, a.Shape);
            Batched(aIdx, (bi, threads, beta) => kernel.Gemm(false, true, m, k, n, 1f, dy.AsReadOnlySpan<float>().Slice(bi * m * n, m * n), n,
                b32.AsReadOnlySpan<float>().Slice(bIdx[bi] * k * n, k * n), n, beta, target.AsSpan<float>().Slice(aIdx[bi] * m * k, m * k), k, default, threads));
            da = target;
        }
        if (ctx.Needs(1))
        {
            // dB_b[K, N] += A_bᵀ[K, M]·dY_b[M, N]
            var target = Tensor.Zeros(DType.Float32, b.Shape);
            Batched(bIdx, (bi, threads, beta) => kernel.Gemm(true, false, k, n, m, 1f, a32.AsReadOnlySpan<float>().Slice(aIdx[bi] * m * k, m * k), k,
                dy.AsReadOnlySpan<float>().Slice(bi * m * n, m * n), n, beta, target.AsSpan<float>().Slice(bIdx[bi] * k * n, k * n), n, default, threads));
            db = target;
        }
        return [da is null ? null : Back(da, a), db is null ? null : Back(db, b)];
    }

    private delegate void BatchGemm(int batchIndex, int threads, float beta);

    /// <summary>Runs one GEMM per broadcast batch index. When every batch writes its own target (no broadcasting on this
    /// operand) batches run in parallel, each single-threaded, writing (beta 0); otherwise they run in order,
    /// accumulating (beta 1 into zeros) with the threads inside each GEMM.</summary>
    private static void Batched(int[] target, BatchGemm gemm)
    {
        int batches = target.Length, degree = Parallelism.Degree;
        bool distinct = target.Distinct().Count() == batches;
        if (distinct && degree > 1 && batches >= degree)
        {
            Parallelism.ForRange(batches, 1, (b0, b1) =>
            {
                for (int bi = b0; bi < b1; bi++) gemm(bi, 1, 0f);
            });
            return;
        }
        for (int bi = 0; bi < batches; bi++) gemm(bi, degree, 1f);
    }

    /// <summary>A float32 gradient in the operand's dtype.</summary>
    private static Tensor Back(Tensor g, Tensor like) => like.DType == DType.Float32 ? g : Elementwise.Cast(g, like.DType);
}
