namespace LowBit.Quantization.Algorithms;

/// <summary>Which orthogonal matrix <see cref="Rotation"/> uses.</summary>
public enum RotationKind
{
    /// <summary>No rotation.</summary>
    None,
    /// <summary>Randomized Hadamard: diag(±1)·H_K/√K for K = 2^k; (H_{2^k}/√2^k) ⊗ (random orthogonal m×m) for K = 2^k·m.</summary>
    Hadamard,
    /// <summary>Random orthogonal from the QR decomposition of a seeded Gaussian matrix (Haar distributed).</summary>
    Random,
}

/// <summary>
/// Incoherence processing by rotation (Ashkboos et al.: "QuaRot: Outlier-Free 4-Bit Inference in Rotated LLMs",
/// arXiv:2404.00456; Sung et al.: "RSQ: Learning from Important Tokens Leads to Better Quantized LLMs", arXiv:2503.01820).
/// For y = x·W and an orthogonal Q (QQᵀ = I), y = (x·Q)·(Qᵀ·W): W is replaced by QᵀW and x by xQ. Each column of QᵀW
/// mixes all K rows, so a few large weights (or activation channels) are spread over all K entries: max|QᵀW| falls
/// towards ‖W_{:,n}‖₂/√K·O(√log K) and low-bit grids cover the column with smaller steps.
/// xQ is folded into a producing MatMul/Gemm (W_prev·Q); otherwise a float MatMul(X, Q) is inserted, costing K²
/// multiply-adds per token (for a K×N layer: K/N of that layer's work). LayerNormalization is never folded: even the RMS
/// form only commutes with Q when its input (the residual stream) is rotated too, which is QuaRot's whole-model rewrite
/// and not done here. One Q per activation width K, shared by all layers reading it (Q, K, V) and by every activation of
/// that width.
/// </summary>
internal static class Rotation
{
    public const int DefaultSeed = 1234;

    public static List<TransformEntry> Apply(Graph.Graph g, IReadOnlyList<LinearGroup> groups, RotationKind kind, int seed = DefaultSeed)
    {
        var done = new List<TransformEntry>();
        if (kind == RotationKind.None) return done;
        // One Q per width K (seeded by K), shared by every group of that width: inserted rotations then share one
        // K×K initializer instead of adding K² floats per layer to the file.
        var byWidth = new Dictionary<int, (double[] Q, double[] Qt)>();
        var shared = new Dictionary<int, string>();
        foreach (var grp in groups)
        {
            if (!byWidth.TryGetValue(grp.K, out var m))
            {
                var q0 = kind == RotationKind.Hadamard ? Orthogonal.Hadamard(grp.K, seed + grp.K) : Orthogonal.Random(grp.K, new Random(seed + grp.K));
                byWidth[grp.K] = m = (q0, Orthogonal.Transpose(q0, grp.K));
            }
            var (q, qt) = m;
            shared.TryGetValue(grp.K, out var name);
            // An inserted K×K MatMul costing more than the layers it serves (K > ΣN, e.g. an MLP down-projection) is not
            // worth it: such groups are left unrotated unless the producer absorbs Q.
            if (InputTransform.Rotate(g, grp, q, ref name, insert: grp.K <= grp.Layers.Sum(l => l.N)) is not { } how) continue;
            if (name is not null) shared[grp.K] = name;
            foreach (var l in grp.Layers) l.MultiplyLeft(g, qt);
            done.Add(new TransformEntry("rotation", grp.Input, grp.Layers.Select(l => l.Node.DisplayName).ToList(), how));
        }
        return done;
    }
}

/// <summary>Orthogonal K×K matrices, row-major, in double.</summary>
internal static class Orthogonal
{
    /// <summary>K = 2^k·m (m odd): D·(H_{2^k}/√2^k) ⊗ R_m with D a seeded random ±1 diagonal and R_m random orthogonal
    /// (R_1 = [1]). Sylvester: H_1 = [1], H_{2n} = [[H_n, H_n], [H_n, −H_n]], so H[i, j] = (−1)^popcount(i ∧ j).</summary>
    public static double[] Hadamard(int k, int seed)
    {
        int p = 1;
        while (k % (p * 2) == 0) p *= 2;
        int m = k / p;
        var rng = new Random(seed);
        var r = m == 1 ? [1.0] : Random(m, rng);
        var q = new double[k * k];
        double norm = 1 / Math.Sqrt(p);
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++)
            {
                double h = (System.Numerics.BitOperations.PopCount((uint)(a & b)) & 1) == 0 ? norm : -norm;
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < m; j++) q[(a * m + i) * k + b * m + j] = h * r[i * m + j];
            }
        // Random signs on the rows (D·H) keep Q orthogonal and decorrelate Q from the weight layout (QuaRot §3).
        for (int i = 0; i < k; i++)
            if (rng.Next(2) == 0)
                for (int j = 0; j < k; j++) q[i * k + j] = -q[i * k + j];
        return q;
    }

    /// <summary>Q of A = QR for A with i.i.d. N(0, 1) entries, columns signed so diag(R) > 0 (Haar measure; Mezzadri 2007).
    /// Modified Gram–Schmidt in double: columns orthonormal to ~1e−14 for K ≤ 4096.</summary>
    public static double[] Random(int k, Random rng)
    {
        var a = new double[k * k];
        for (int i = 0; i < a.Length; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            a[i] = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        for (int c = 0; c < k; c++)
        {
            for (int pass = 0; pass < 2; pass++)
                for (int prev = 0; prev < c; prev++)
                {
                    double dot = 0;
                    for (int i = 0; i < k; i++) dot += a[i * k + c] * a[i * k + prev];
                    for (int i = 0; i < k; i++) a[i * k + c] -= dot * a[i * k + prev];
                }
            double n = 0;
            for (int i = 0; i < k; i++) n += a[i * k + c] * a[i * k + c];
            n = Math.Sqrt(n);
            for (int i = 0; i < k; i++) a[i * k + c] /= n;
        }
        return a;
    }

    public static double[] Transpose(double[] q, int k)
    {
        var t = new double[k * k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) t[j * k + i] = q[i * k + j];
        return t;
    }
}
