using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using LowBit.Tensors;

namespace LowBit.Nn;

/// <summary>
/// Representation alignment to a guide network by linear centered kernel alignment (Kornblith et al. 2019; used as a
/// training signal by "Training the Untrainable", Subramaniam et al. 2025, which aligns a network's intermediate layers
/// with a guide's). Activations of one layer over a batch are rows X ∈ ℝ^{N×D} (any trailing shape flattened; widths of
/// student and guide may differ). With X̄ = X − column means and K = X̄X̄ᵀ, L = ȲȲᵀ (N×N Gram matrices):
/// <code>
/// CKA(X, Y) = tr(KL) / √(tr(KK)·tr(LL))                  ∈ [0, 1], invariant to rotations and scale of either side
/// ℓ = 1 − CKA                                             the loss
/// ∂CKA/∂X̄ = 2/√(tr(KK)·tr(LL)) · (L X̄ − (tr(KL)/tr(KK))·K X̄),   ∂ℓ/∂X = −(that, with column means removed)
/// </code>
/// Cost O(N²·D) per layer and batch (the Gram matrices).
/// </summary>
public static class Alignment
{
    /// <summary>ℓ = 1 − CKA(<paramref name="student"/>, <paramref name="guide"/>) and ∂ℓ/∂student (the guide is a constant).</summary>
    public static LossResult Cka(Tensor student, Tensor guide)
    {
        int n = student.Shape[0];
        if (guide.Rank == 0 || guide.Shape[0] != n || n < 2)
            throw new LowBitException(ErrorKind.InvalidInput, $"alignment needs the same batch (≥ 2 samples) on both sides: student {student.ShapeString}, guide {guide.ShapeString}");
        var x = Centered(student, out int dx);
        var y = Centered(guide, out int dy);
        var k = Gram(x, n, dx);
        var l = Gram(y, n, dy);
        double kl = TensorPrimitives.Dot(k, l), kk = TensorPrimitives.Dot(k, k), ll = TensorPrimitives.Dot(l, l);
        var grad = Tensor.Zeros(DType.Float32, student.Shape);
        if (!(kk > 0) || !(ll > 0)) return new LossResult(1, grad);  // a constant layer carries no alignment signal
        double norm = Math.Sqrt(kk * ll), cka = kl / norm;
        // dX̄ = −2/norm · (L − (kl/kk)·K) X̄ ; M = L − (kl/kk)·K is symmetric N×N.
        var m = new float[n * n];
        for (int i = 0; i < m.Length; i++) m[i] = (float)(l[i] - kl / kk * k[i]);
        var g = grad.AsSpan<float>();
        float c = (float)(-2 / norm);
        for (int i = 0; i < n; i++)
        {
            var row = g.Slice(i * dx, dx);
            for (int j = 0; j < n; j++)
                if (m[i * n + j] != 0) TensorPrimitives.MultiplyAdd(x.AsSpan(j * dx, dx), c * m[i * n + j], row, row);
        }
        // Through the centering: subtract the column means of the gradient.
        var mean = new float[dx];
        for (int i = 0; i < n; i++) TensorPrimitives.Add(mean, g.Slice(i * dx, dx), mean);
        TensorPrimitives.Multiply(mean, 1f / n, mean);
        for (int i = 0; i < n; i++) TensorPrimitives.Subtract(g.Slice(i * dx, dx), mean, g.Slice(i * dx, dx));
        return new LossResult(1 - cka, grad);
    }

    /// <summary>Rows minus their column means, float32 [N, D].</summary>
    private static float[] Centered(Tensor t, out int d)
    {
        int n = t.Shape[0];
        var x = t.DType == DType.Float32 ? t.AsReadOnlySpan<float>().ToArray() : t.ToFloatArray();
        d = x.Length / n;
        var mean = new float[d];
        for (int i = 0; i < n; i++) TensorPrimitives.Add(mean, x.AsSpan(i * d, d), mean);
        TensorPrimitives.Multiply(mean, 1f / n, mean);
        for (int i = 0; i < n; i++) TensorPrimitives.Subtract(x.AsSpan(i * d, d), mean, x.AsSpan(i * d, d));
        return x;
    }

    /// <summary>K = X Xᵀ (N×N), symmetric.</summary>
    private static float[] Gram(float[] x, int n, int d)
    {
        var k = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                k[i * n + j] = k[j * n + i] = TensorPrimitives.Dot(x.AsSpan(i * d, d), x.AsSpan(j * d, d));
        return k;
    }
}
