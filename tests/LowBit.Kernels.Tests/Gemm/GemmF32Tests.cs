using LowBit.Kernels.Gemm;

namespace LowBit.Kernels.Tests.Gemm;

/// <summary>
/// Every supported SGEMM row against the reference triple loop. Shapes cover 1, odd sizes, register-tile tails (MR 6/8,
/// NR 16/48), block tails (KC 256, MC 120/128, NC 384/480), transposes, leading dimensions wider than the matrix,
/// alpha/beta, and 1 or 3 threads. Tolerance: <see cref="Numerics.Bound"/> per element (summation-order error).
/// </summary>
public class GemmF32Tests
{
    internal static SgemmKernel ReferenceRow => KernelTable.SgemmRows.Single(r => r.Name == "reference").Implementation;

    public static IEnumerable<object[]> Shapes()
    {
        (int, int, int)[] sizes =
        [
            (1, 1, 1), (1, 17, 5), (3, 1, 9), (7, 13, 11), (8, 48, 256), (9, 49, 257), (16, 97, 64), (64, 49, 576),
            (130, 33, 300), (5, 481, 17), (33, 65, 513), (200, 3, 2), (1, 1000, 3), (121, 385, 40),
        ];
        (float, float)[] scales = [(1f, 0f), (0.5f, 2f), (-1.5f, 1f)];
        int i = 0;
        foreach (var (m, n, k) in sizes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    var (alpha, beta) = scales[i++ % scales.Length];
                    yield return [m, n, k, ta, tb, alpha, beta];
                }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_EveryRow_MatchesReference(int m, int n, int k, bool transA, bool transB, float alpha, float beta)
    {
        var p = Problem.Make(m, n, k, transA, transB, seed: m * 7919 + n * 31 + k);
        var expected = p.C0.ToArray();
        ReferenceRow.Gemm(transA, transB, m, n, k, alpha, p.A, p.Lda, p.B, p.Ldb, beta, expected, p.Ldc);
        var bound = p.Bounds(alpha, beta);
        foreach (var row in KernelTable.Supported(KernelTable.SgemmRows))
            foreach (int threads in new[] { 1, 3 })
            {
                var c = p.C0.ToArray();
                if (beta == 0) Array.Fill(c, float.NaN);
                row.Implementation.Gemm(transA, transB, m, n, k, alpha, p.A, p.Lda, p.B, p.Ldb, beta, c, p.Ldc, threads: threads);
                p.AssertC(expected, c, bound, $"{row.Name} threads {threads}");
            }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 50, 300)]
    [InlineData(64, 200, 37)]
    public void Gemm_EpilogueTerms_MatchReference(int m, int n, int k)
    {
        var p = Problem.Make(m, n, k, false, false, seed: 11);
        var rowBias = Numerics.Random(m, 1);
        var colBias = Numerics.Random(n, 2);
        var residual = Numerics.Random(m * p.Ldc, 3);
        foreach (var act in new[] { GemmActivation.None, GemmActivation.Relu, GemmActivation.Clip })
        {
            var ep = new GemmEpilogue { RowBias = rowBias, ColBias = colBias, Residual = residual, Activation = act, ClipMin = -0.5f, ClipMax = 0.7f };
            var expected = p.C0.ToArray();
            ReferenceRow.Gemm(false, false, m, n, k, 1f, p.A, p.Lda, p.B, p.Ldb, 0.5f, expected, p.Ldc, ep);
            var bound = p.Bounds(1f, 0.5f, 3.0);
            foreach (var row in KernelTable.Supported(KernelTable.SgemmRows))
            {
                var c = p.C0.ToArray();
                row.Implementation.Gemm(false, false, m, n, k, 1f, p.A, p.Lda, p.B, p.Ldb, 0.5f, c, p.Ldc, ep, threads: 2);
                p.AssertC(expected, c, bound, $"{row.Name} {act}");
            }
        }
    }

    [Theory]
    [InlineData(1, 30, 7, false, false)]
    [InlineData(37, 100, 300, true, false)]
    [InlineData(64, 49, 576, false, true)]
    [InlineData(9, 1, 513, true, true)]
    public void PackedOperands_MatchUnpacked(int m, int n, int k, bool transA, bool transB)
    {
        var p = Problem.Make(m, n, k, transA, transB, seed: 5);
        var bound = p.Bounds(1.25f, 0.5f);
        foreach (var row in KernelTable.Supported(KernelTable.SgemmRows))
        {
            var kern = row.Implementation;
            var expected = p.C0.ToArray();
            ReferenceRow.Gemm(transA, transB, m, n, k, 1.25f, p.A, p.Lda, p.B, p.Ldb, 0.5f, expected, p.Ldc);
            var pa = kern.PackA(transA, m, k, p.A, p.Lda);
            var pb = kern.PackB(transB, k, n, p.B, p.Ldb);
            var c1 = p.C0.ToArray();
            kern.Gemm(pa, transB, n, p.B, p.Ldb, 1.25f, 0.5f, c1, p.Ldc, threads: 2);
            p.AssertC(expected, c1, bound, $"{row.Name} packed A");
            var c2 = p.C0.ToArray();
            kern.Gemm(transA, m, p.A, p.Lda, pb, 1.25f, 0.5f, c2, p.Ldc, threads: 2);
            p.AssertC(expected, c2, bound, $"{row.Name} packed B");
        }
    }

    [Fact]
    public void Gemm_KZero_WritesBetaCPlusEpilogue()
    {
        var c = new[] { 1f, -2f, 3f, -4f };
        foreach (var row in KernelTable.Supported(KernelTable.SgemmRows))
        {
            var y = c.ToArray();
            var ep = new GemmEpilogue { ColBias = new[] { 0.5f, 0.5f }, Activation = GemmActivation.Relu };
            row.Implementation.Gemm(false, false, 2, 2, 0, 1f, Array.Empty<float>(), 1, Array.Empty<float>(), 2, 2f, y, 2, ep);
            Assert.Equal(new[] { 2.5f, 0f, 6.5f, 0f }, y);
        }
    }

    [Fact]
    public void PackedMatrix_FromAnotherRowOrSide_IsRejected()
    {
        var a = Numerics.Random(12, 1);
        var rows = KernelTable.Supported(KernelTable.SgemmRows).Select(r => r.Implementation).ToArray();
        var packedA = rows[0].PackA(false, 3, 4, a, 4);
        var c = new float[9];
        Assert.Throws<ArgumentException>(() => rows[0].Gemm(false, 3, a, 4, packedA, 1f, 0f, c, 3));
        if (rows.Length > 1)
            Assert.Throws<ArgumentException>(() => rows[1].Gemm(packedA, false, 3, a, 3, 1f, 0f, c, 3));
    }

    [Fact]
    public void Gemm_SpanTooShort_Throws()
    {
        foreach (var row in KernelTable.Supported(KernelTable.SgemmRows))
        {
            var a = new float[5];
            Assert.Throws<ArgumentException>(() => row.Implementation.Gemm(false, false, 2, 2, 3, 1f, a, 3, new float[6], 2, 0f, new float[4], 2));
            Assert.Throws<ArgumentException>(() => row.Implementation.Gemm(false, false, 2, 2, 2, 1f, new float[4], 1, new float[4], 2, 0f, new float[4], 2));
        }
    }

    /// <summary>Operands with leading dimensions 3 wider than needed, and C (ldc = n + 2) filled with garbage.</summary>
    internal sealed record Problem(int M, int N, int K, bool TransA, bool TransB, float[] A, int Lda, float[] B, int Ldb, float[] C0, int Ldc)
    {
        public static Problem Make(int m, int n, int k, bool ta, bool tb, int seed)
        {
            int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 3, ldc = n + 2;
            var a = Numerics.Random((ta ? k : m) * lda, seed);
            var b = Numerics.Random((tb ? n : k) * ldb, seed + 1);
            var c = Numerics.Random(m * ldc, seed + 2);
            return new Problem(m, n, k, ta, tb, a, lda, b, ldb, c, ldc);
        }

        public double[] Bounds(float alpha, float beta, double extra = 0)
        {
            var bound = new double[C0.Length];
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                {
                    double s = 0;
                    for (int p = 0; p < K; p++)
                        s += Math.Abs(A[TransA ? p * Lda + i : i * Lda + p] * (double)B[TransB ? j * Ldb + p : p * Ldb + j]);
                    bound[i * Ldc + j] = Numerics.Bound(K, Math.Abs(alpha) * s + Math.Abs(beta * C0[i * Ldc + j]) + extra);
                }
            return bound;
        }

        /// <summary>Compares the M×N window and checks the ldc padding was not written.</summary>
        public void AssertC(float[] expected, float[] actual, double[] bound, string what)
        {
            for (int i = 0; i < M; i++)
            {
                Numerics.AssertClose(expected.AsSpan(i * Ldc, N), actual.AsSpan(i * Ldc, N), bound.AsSpan(i * Ldc, N), $"{what} row {i}");
                for (int j = N; j < Ldc && i * Ldc + j < actual.Length; j++)
                    Assert.True(actual[i * Ldc + j] == C0[i * Ldc + j] || float.IsNaN(actual[i * Ldc + j]), $"{what}: padding ({i},{j}) was written");
            }
        }
    }
}
