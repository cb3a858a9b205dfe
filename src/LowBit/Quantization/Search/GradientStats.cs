namespace LowBit.Quantization.Search;

/// <summary>
/// Per weight initializer: the Fisher information diagonal F_ii = E[(∂ℓ/∂w_i)²] (per-sample gradients) and the
/// Hutchinson estimate of the Hessian block trace Tr(H_ww) and its parameter count, from
/// <see cref="GradientSensitivity.Compute"/>. Both feed the second-order model of the loss around the float weights,
/// ℓ(w + δ) − ℓ(w) ≈ gᵀδ + ½ δᵀHδ, whose first term vanishes at a trained optimum (g ≈ 0), so quantization noise δ
/// costs ≈ ½ δᵀHδ.
/// </summary>
internal sealed class GradientStats
{
    private readonly IReadOnlyDictionary<string, int> counts;

    internal GradientStats(Dictionary<string, float[]> fisher, Dictionary<string, double> trace, int samples, int probes)
    {
        FisherDiagonal = fisher;
        HessianTrace = trace;
        Samples = samples;
        Probes = probes;
        counts = fisher.ToDictionary(kv => kv.Key, kv => kv.Value.Length);
    }

    /// <summary>F_ii = (1/S) Σ_s (∂ℓ_s/∂w_i)², in the weight's row-major element order.</summary>
    public IReadOnlyDictionary<string, float[]> FisherDiagonal { get; }
    /// <summary>Tr(H_ww) of the mean per-sample loss; empty when computed with zero probes.</summary>
    public IReadOnlyDictionary<string, double> HessianTrace { get; }
    /// <summary>Samples S the expectations average over (the first pass's count).</summary>
    public int Samples { get; }
    /// <summary>Rademacher probes behind <see cref="HessianTrace"/>.</summary>
    public int Probes { get; }

    /// <summary>Parameters n of weight <paramref name="name"/>.</summary>
    public int Count(string name) => counts.TryGetValue(name, out int n) ? n
        : throw new ArgumentException($"no gradient statistics for weight '{name}'", nameof(name));

    /// <summary>
    /// Fisher estimate of the loss increase from perturbing weight <paramref name="name"/> by δ: ½ Σ_i F_ii δ_i².
    /// The diagonal Fisher stands in for the Hessian (for cross-entropy the Fisher equals the generalized Gauss–Newton
    /// matrix, which approximates H near an optimum), the quadratic penalty of EWC (Kirkpatrick et al. 2017, PNAS,
    /// "Overcoming catastrophic forgetting") and the weighting of Fisher-based quantization sensitivities
    /// (e.g. BRECQ, Li et al. 2021).
    /// </summary>
    public double FisherLoss(string name, ReadOnlySpan<float> delta)
    {
        var f = FisherDiagonal.TryGetValue(name, out var v) ? v
            : throw new ArgumentException($"no gradient statistics for weight '{name}'", nameof(name));
        CheckLength(name, f.Length, delta.Length);
        double sum = 0;
        for (int i = 0; i < f.Length; i++) sum += (double)f[i] * delta[i] * delta[i];
        return 0.5 * sum;
    }

    /// <summary>
    /// Hessian-trace estimate (HAWQ-V2, Dong et al. 2020, "HAWQ-V2: Hessian Aware trace-Weighted Quantization of Neural
    /// Networks"): δᵀH_wwδ ≈ (Tr(H_ww)/n)·‖δ‖², i.e. the block's curvature averaged over its n directions, so the loss
    /// increase is ½ · Tr(H)/n · ‖δ‖².
    /// </summary>
    public double HessianLoss(string name, ReadOnlySpan<float> delta)
    {
        int n = Count(name);
        if (!HessianTrace.TryGetValue(name, out double trace))
            throw new InvalidOperationException($"no Hessian trace for weight '{name}': the statistics were computed with zero probes");
        CheckLength(name, n, delta.Length);
        double sq = 0;
        foreach (float d in delta) sq += (double)d * d;
        return 0.5 * trace / n * sq;
    }

    private static void CheckLength(string name, int expected, int actual)
    {
        if (expected != actual)
            throw new ArgumentException($"perturbation of weight '{name}' has {actual} elements, the weight has {expected}");
    }
}
