using System.Numerics;
using LowBit.Kernels;
using LowBit.Kernels.Gemm;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Gemm and MatMul. float32 runs on the SGEMM kernels; float16/bfloat16 through float32; double and integer
/// types in a plain loop in their own arithmetic (integers wrap like ONNX Runtime's).</summary>
internal static class MatMulOps
{
    /// <summary>
    /// Y = alpha·op(A)·op(B) + beta·C, C broadcast to [M, N]. Before opset 7 C broadcasts only with broadcast = 1
    /// (else it must be [M, N]); before opset 11 C is required.
    /// </summary>
    [Op("Gemm", 1)]
    public static Tensor Gemm(OpContext ctx, Tensor a, Tensor b, Tensor? c = null, float alpha = 1f, float beta = 1f,
        long transA = 0, long transB = 0, long broadcast = 0)
    {
        if (c is null && ctx.Opset < 11) throw ctx.Error("input C is required before opset 11");
        var (m, n, _) = GemmDims(a, b, transA != 0, transB != 0);
        if (c is not null && ctx.Opset < 7 && broadcast == 0 && !c.Shape.SequenceEqual(new[] { m, n }))
            throw ctx.Error($"C is {c.ShapeString} but must be [{m},{n}] when broadcast = 0 (opset {ctx.Opset})");
        return RunGemm(a, b, c, alpha, beta, transA != 0, transB != 0, Fusion.None);
    }

    internal static (int M, int N, int K) GemmDims(Tensor a, Tensor b, bool transA, bool transB)
    {
        if (a.Rank != 2 || b.Rank != 2) throw new ArgumentException($"Gemm needs 2-D A and B, got {a.ShapeString} and {b.ShapeString}");
        int m = transA ? a.Shape[1] : a.Shape[0], k = transA ? a.Shape[0] : a.Shape[1];
        int kb = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        if (k != kb) throw new ArgumentException($"Gemm inner dimensions differ: op(A) is {m}×{k}, op(B) is {kb}×{n}");
        return (m, n, k);
    }

    internal static Tensor RunGemm(Tensor a, Tensor b, Tensor? c, float alpha, float beta, bool transA, bool transB, Fusion fusion)
    {
        var (m, n, k) = GemmDims(a, b, transA, transB);
        if (b.DType != a.DType || (c is not null && c.DType != a.DType)) throw new ArgumentException("Gemm inputs must share one element type");
        if (c is not null && !Broadcast.Shape(c.Shape, [m, n]).SequenceEqual(new[] { m, n }))
            throw new ArgumentException($"C {c.ShapeString} does not broadcast to [{m},{n}]");
        if (a.DType is DType.Float16 or DType.BFloat16)
        {
            var fy = RunGemm(Elementwise.ToFloat32(a), Elementwise.ToFloat32(b), c is null ? null : Elementwise.ToFloat32(c), alpha, beta,
                transA, transB, fusion with { WeightOwner = null });
            return Elementwise.FromFloat32(fy, a.DType);
        }
        if (a.DType != DType.Float32) return GemmGeneric(a, b, c, alpha, beta, transA, transB, m, n, k);

        var y = Tensor.Empty(DType.Float32, m, n);
        if (y.Length == 0) return y;
        var ep = new GemmEpilogue { Activation = fusion.Activation, ClipMin = fusion.ClipMin, ClipMax = fusion.ClipMax };
        float gemmBeta = 0f;
        float[]? scaled = null;
        if (c is not null && beta != 0f)
        {
            var cs = c.AsReadOnlySpan<float>();
            bool row = c.Shape.Length > 0 && c.Shape[^1] == n && c.Length == n;   // [N] or [1, N]
            bool col = c.Rank == 2 && c.Shape[0] == m && c.Shape[1] == 1 && m > 1; // [M, 1]
            if (c.Length == 1 || row || col)
            {
                scaled = new float[row || c.Length == 1 ? n : m];
                if (c.Length == 1) Array.Fill(scaled, beta * cs[0]);
                else for (int i = 0; i < scaled.Length; i++) scaled[i] = beta * cs[i];
                if (col) ep.RowBias = scaled; else ep.ColBias = scaled;
            }
            else
            {
                // Full or partially broadcast C: materialize it in Y and let the GEMM scale it by beta.
                var ys = y.AsSpan<float>();
                var map = Broadcast.SourceIndex(c.Shape, [m, n]);
                for (int i = 0; i < ys.Length; i++) ys[i] = cs[map[i]];
                gemmBeta = beta;
            }
        }
        var kernel = GemmF32.Kernel;
        int lda = a.Shape[1];
        if (fusion.WeightOwner is not null)
            kernel.Gemm(transA, m, a.AsReadOnlySpan<float>(), lda, PackedWeights.Right(b, transB, fusion.WeightOwner), alpha, gemmBeta, y.AsSpan<float>(), n, ep);
        else
            kernel.Gemm(transA, transB, m, n, k, alpha, a.AsReadOnlySpan<float>(), lda, b.AsReadOnlySpan<float>(), b.Shape[1], gemmBeta,
                y.AsSpan<float>(), n, ep);
        return y;
    }

    /// <summary>Gemm for double and integer types, each product summed in double (exact for int32 sums below 2⁵³).</summary>
    private static Tensor GemmGeneric(Tensor a, Tensor b, Tensor? c, float alpha, float beta, bool transA, bool transB, int m, int n, int k)
    {
        var y = Tensor.Empty(a.DType, m, n);
        int[]? map = c is null ? null : Broadcast.SourceIndex(c.Shape, [m, n]);
        int lda = a.Shape[1], ldb = b.Shape[1];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += a.GetDouble(transA ? p * lda + i : i * lda + p) * b.GetDouble(transB ? j * ldb + p : p * ldb + j);
                double v = alpha * s;
                if (c is not null) v += beta * c.GetDouble(map![i * n + j]);
                y.SetDouble(i * n + j, v);
            }
        return y;
    }

    /// <summary>numpy matmul: batch dims broadcast; a 1-D A is [1, K] and a 1-D B is [K, 1], their unit dims dropped after.</summary>
    [Op("MatMul", 1)]
    public static Tensor MatMul(Tensor a, Tensor b) => RunMatMul(a, b, Fusion.None);

    internal static Tensor RunMatMul(Tensor a, Tensor b, Fusion fusion)
    {
        if (a.Rank == 0 || b.Rank == 0) throw new ArgumentException("MatMul operands must have rank ≥ 1");
        if (a.DType != b.DType) throw new ArgumentException($"MatMul operands differ in type: {a.DType.Name()} and {b.DType.Name()}");
        if (a.DType is DType.Float16 or DType.BFloat16)
            return Elementwise.FromFloat32(RunMatMul(Elementwise.ToFloat32(a), Elementwise.ToFloat32(b), fusion with { WeightOwner = null }), a.DType);
        var aShape = a.Rank == 1 ? new[] { 1, a.Shape[0] } : a.Shape;
        var bShape = b.Rank == 1 ? new[] { b.Shape[0], 1 } : b.Shape;
        int m = aShape[^2], k = aShape[^1], n = bShape[^1];
        if (bShape[^2] != k) throw new ArgumentException($"MatMul inner dimensions differ: {a.ShapeString} × {b.ShapeString}");
        var batch = Broadcast.Shape(aShape[..^2], bShape[..^2]);
        var outShape = batch.Concat(a.Rank == 1 ? [] : new[] { m }).Concat(b.Rank == 1 ? [] : new[] { n }).ToArray();
        var y = Tensor.Empty(a.DType, outShape);
        int batches = batch.Aggregate(1, (x, z) => checked(x * z));
        if (y.Length == 0) return y;
        if (k == 0)
        {
            ClearAndFinish(y, fusion);
            return y;
        }

        if (a.DType == DType.Float32 && bShape.Length == 2)
        {
            // Weights-shaped B: every batch row of A is one row of a single (batches·M) × K GEMM.
            var ep = new GemmEpilogue { Activation = fusion.Activation, ClipMin = fusion.ClipMin, ClipMax = fusion.ClipMax };
            var kernel = GemmF32.Kernel;
            int rows = checked(batches * m);
            if (fusion.WeightOwner is not null && b.Rank == 2)
                kernel.Gemm(false, rows, a.AsReadOnlySpan<float>(), k, PackedWeights.Right(b, false, fusion.WeightOwner), 1f, 0f, y.AsSpan<float>(), n, ep);
            else
                kernel.Gemm(false, false, rows, n, k, 1f, a.AsReadOnlySpan<float>(), k, b.AsReadOnlySpan<float>(), n, 0f, y.AsSpan<float>(), n, ep);
            return y;
        }

        var aIdx = Broadcast.SourceIndex(aShape[..^2].Length == 0 ? [1] : aShape[..^2], batch.Length == 0 ? [1] : batch);
        var bIdx = Broadcast.SourceIndex(bShape[..^2].Length == 0 ? [1] : bShape[..^2], batch.Length == 0 ? [1] : batch);
        int degree = Parallelism.Degree;
        bool perBatch = degree > 1 && batches >= degree;
        Parallelism.For(perBatch ? batches : 1, t =>
        {
            int t0 = perBatch ? t : 0, t1 = perBatch ? t + 1 : batches;
            for (int bi = t0; bi < t1; bi++)
                MultiplyOne(a, b, y, aIdx[bi] * m * k, bIdx[bi] * k * n, bi * m * n, m, n, k, fusion, perBatch ? 1 : degree);
        });
        return y;
    }

    private static void MultiplyOne(Tensor a, Tensor b, Tensor y, int aOff, int bOff, int yOff, int m, int n, int k, Fusion f, int threads)
    {
        switch (a.DType)
        {
            case DType.Float32:
                var ep = new GemmEpilogue { Activation = f.Activation, ClipMin = f.ClipMin, ClipMax = f.ClipMax };
                GemmF32.Kernel.Gemm(false, false, m, n, k, 1f, a.AsReadOnlySpan<float>().Slice(aOff, m * k), k,
                    b.AsReadOnlySpan<float>().Slice(bOff, k * n), n, 0f, y.AsSpan<float>().Slice(yOff, m * n), n, ep, threads);
                break;
            case DType.Float64: Generic<double>(a, b, y, aOff, bOff, yOff, m, n, k); break;
            case DType.Int32: Generic<int>(a, b, y, aOff, bOff, yOff, m, n, k); break;
            case DType.Int64: Generic<long>(a, b, y, aOff, bOff, yOff, m, n, k); break;
            case DType.UInt32: Generic<uint>(a, b, y, aOff, bOff, yOff, m, n, k); break;
            case DType.UInt64: Generic<ulong>(a, b, y, aOff, bOff, yOff, m, n, k); break;
            default: throw new ArgumentException($"MatMul does not take {a.DType.Name()}");
        }
    }

    private static void Generic<T>(Tensor a, Tensor b, Tensor y, int aOff, int bOff, int yOff, int m, int n, int k) where T : INumber<T>
    {
        var x = a.AsReadOnlySpan<T>().Slice(aOff, m * k);
        var w = b.AsReadOnlySpan<T>().Slice(bOff, k * n);
        var d = y.AsSpan<T>().Slice(yOff, m * n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T s = T.Zero;
                for (int p = 0; p < k; p++) s += x[i * k + p] * w[p * n + j];
                d[i * n + j] = s;
            }
    }

    /// <summary>K = 0: the product is all zeros (then the fused activation).</summary>
    private static void ClearAndFinish(Tensor y, Fusion f)
    {
        for (int i = 0; i < y.Length; i++) y.SetDouble(i, 0);
        if (y.DType == DType.Float32 && f.Activation != GemmActivation.None)
        {
            var ep = new GemmEpilogue { Activation = f.Activation, ClipMin = f.ClipMin, ClipMax = f.ClipMax };
            var ys = y.AsSpan<float>();
            for (int i = 0; i < ys.Length; i++) ys[i] = ep.Apply(ys[i], 0, 0, 0);
        }
    }
}
