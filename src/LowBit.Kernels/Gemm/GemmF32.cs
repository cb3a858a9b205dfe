namespace LowBit.Kernels.Gemm;

/// <summary>
/// Single-precision GEMM through the selected <see cref="KernelTable.Sgemm"/> row. The implementations are nested
/// classes in partial files: <c>Reference</c> (triple loop), <c>Blocked</c> (packing driver), <c>Avx2</c>, <c>Avx512</c>.
/// </summary>
public static partial class GemmF32
{
    public static SgemmKernel Kernel => KernelTable.Sgemm;

    /// <summary>C = alpha·op(A)·op(B) + beta·C then the epilogue (see <see cref="SgemmKernel.Gemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, in GemmEpilogue, int)"/>).</summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, scoped in GemmEpilogue epilogue = default, int threads = 0) =>
        Kernel.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, threads);
}
