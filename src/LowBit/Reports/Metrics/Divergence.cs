namespace LowBit.Reports.Metrics;

/// <summary>Distances between the class distributions of two logit rows.</summary>
public static class Divergence
{
    /// <summary>
    /// KL(p ‖ q) in nats of p = softmax(reference) and q = softmax(test):
    /// Σᵢ pᵢ·(log pᵢ − log qᵢ) with log pᵢ = xᵢ − logΣⱼexp(xⱼ) (log-sum-exp shifted by the row maximum, float64), so large
    /// logits neither overflow nor lose the small probabilities. ≥ 0, and 0 exactly when the rows differ by a constant.
    /// NaN when a logit is not finite.
    /// </summary>
    public static double SoftmaxKl(ReadOnlySpan<float> reference, ReadOnlySpan<float> test)
    {
        if (reference.Length != test.Length) throw new ArgumentException($"rows of {reference.Length} and {test.Length} classes");
        if (reference.IsEmpty) return 0;
        double lseP = LogSumExp(reference), lseQ = LogSumExp(test);
        if (!double.IsFinite(lseP) || !double.IsFinite(lseQ)) return double.NaN;
        double kl = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double logP = reference[i] - lseP, logQ = test[i] - lseQ;
            kl += Math.Exp(logP) * (logP - logQ);
        }
        return Math.Max(kl, 0);  // rounding can leave −1e−17 for identical rows
    }

    /// <summary>log Σ exp(xᵢ), computed as m + log Σ exp(xᵢ − m) with m = max xᵢ.</summary>
    public static double LogSumExp(ReadOnlySpan<float> x)
    {
        double m = double.NegativeInfinity;
        foreach (float v in x)
        {
            if (float.IsNaN(v)) return double.NaN;
            m = Math.Max(m, v);
        }
        if (!double.IsFinite(m)) return m;
        double s = 0;
        foreach (float v in x) s += Math.Exp(v - m);
        return m + Math.Log(s);
    }
}
