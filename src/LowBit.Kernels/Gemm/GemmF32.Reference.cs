namespace LowBit.Kernels.Gemm;

public static partial class GemmF32
{
    /// <summary>
    /// The plain triple loop: C[i,j] = alpha·Σ_p op(A)[i,p]·op(B)[p,j] + beta·C[i,j], summed in p order in float, then
    /// the epilogue. The oracle every other row is tested against, and the fallback without AVX2. Its packed form is a
    /// row-major copy of op(X).
    /// </summary>
    internal sealed unsafe class Reference : SgemmKernel
    {
        public static readonly Reference Instance = new();

        public override string Name => "reference";

        internal override long PackedLength(bool isLeft, int rows, int cols) => (long)rows * cols;

        internal override void Pack(PackedMatrix dst, in Operand src)
        {
            float* d = dst.Pointer;
            int rows = dst.Rows, cols = dst.Cols;
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    d[(long)i * cols + j] = At(src, i, j, rows, cols);
        }

        internal override void Run(int m, int n, int k, in Operand a, in Operand b, float* c, int ldc, in EpilogueArgs e, int threads)
        {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float s = 0;
                    for (int p = 0; p < k; p++) s += At(a, i, p, m, k) * At(b, p, j, k, n);
                    float* cij = c + (long)i * ldc + j;
                    float v = e.Alpha * s;
                    if (e.Beta != 0) v += e.Beta * *cij;
                    *cij = e.Apply(v, i, j, ldc);
                }
        }

        /// <summary>Element (i, j) of the rows×cols logical matrix op(X).</summary>
        private static float At(in Operand x, int i, int j, int rows, int cols) => x.Kind switch
        {
            OperandKind.Plain => x.Trans ? x.Ptr[(long)j * x.Ld + i] : x.Ptr[(long)i * x.Ld + j],
            OperandKind.Packed => x.Ptr[(long)i * cols + j],
            OperandKind.Im2Col => x.Conv.Element(new ReadOnlySpan<float>(x.Ptr, x.Conv.InputLength), i, j),
            _ => x.Conv.Element(new ReadOnlySpan<float>(x.Ptr, x.Conv.InputLength), j, i),
        };
    }
}
