namespace LowBit.Quantization.Algorithms;

/// <summary>
/// SmoothQuant (Xiao, Lin, Seznec, Wu, Demouth, Han: "SmoothQuant: Accurate and Efficient Post-Training Quantization for
/// Large Language Models", ICML 2023, arXiv:2211.10438, §4). Activation outliers sit in a few input channels; a linear
/// layer y = x·W is unchanged by y = (x·diag(s)⁻¹)·(diag(s)·W), so per input channel j
/// <code>
/// s_j = max|X_j|^α / max|W_j|^(1−α)        max|W_j| over the row j of every layer reading X (Q, K, V share one s)
/// </code>
/// moves part α of the range difficulty from X to W: after it max|X_j/s_j| = max|X_j|^(1−α)·max|W_j|^(1−α) and
/// max|s_j·W_j| = max|X_j|^α·max|W_j|^α, so both sides have the same per-channel range when α = ½. The division of X is
/// folded into X's producer when it is a LayerNormalization or a MatMul/Gemm, else a Mul is inserted
/// (<see cref="InputTransform.Scale"/>). s_j = 1 where either maximum is 0; s is clamped to [1e−5, 1e5].
/// </summary>
internal static class SmoothQuant
{
    /// <summary>Smooths every group except those in <paramref name="skip"/>; <paramref name="stored"/> (a manifest's factors
    /// by input name) replaces the computed s when given.</summary>
    public static List<TransformEntry> Apply(Graph.Graph g, IReadOnlyList<LinearGroup> groups, IReadOnlyDictionary<string, ChannelRange>? stats,
        double alpha, ISet<string> skip, IReadOnlyDictionary<string, TransformEntry>? stored)
    {
        var done = new List<TransformEntry>();
        foreach (var grp in groups)
        {
            if (skip.Contains(grp.Input)) continue;
            double[] s;
            double? before = null, after = null;
            if (stored is not null)
            {
                if (!stored.TryGetValue(grp.Input, out var e) || e.Factors is null) continue;
                s = e.Factors.Select(f => (double)f).ToArray();
            }
            else
            {
                var r = stats![grp.Input];
                // Rounded to float32 as the manifest stores them, so a reload rebuilds the same weights.
                s = Factors(r, grp.Layers.Select(l => l.InputMaxAbs(g)).ToList(), alpha).Select(v => (double)(float)v).ToArray();
                before = r.Spread();
                after = SpreadOf(Enumerable.Range(0, grp.K).Select(j => r.MaxAbs(j) / s[j]));
            }
            foreach (var l in grp.Layers) l.ScaleInputs(g, s);
            string how = InputTransform.Scale(g, grp, s.Select(v => 1 / v).ToArray(), null);
            done.Add(new TransformEntry("smoothquant", grp.Input, grp.Layers.Select(l => l.Node.DisplayName).ToList(), how, before, after)
                { Factors = s.Select(v => (float)v).ToArray() });
        }
        return done;
    }

    /// <summary>s_j = max|X_j|^α / max_l max|W_l[j, :]|^(1−α).</summary>
    internal static double[] Factors(ChannelRange x, IReadOnlyList<double[]> weightMax, double alpha)
    {
        int k = x.Min.Length;
        var s = new double[k];
        for (int j = 0; j < k; j++)
        {
            double a = x.MaxAbs(j), w = weightMax.Max(m => m[j]);
            s[j] = a > 0 && w > 0 && double.IsFinite(a) ? Math.Clamp(Math.Pow(a, alpha) / Math.Pow(w, 1 - alpha), 1e-5, 1e5) : 1;
        }
        return s;
    }

    /// <summary>max / mean of per-channel ranges (1 = flat).</summary>
    internal static double SpreadOf(IEnumerable<double> ranges)
    {
        var a = ranges.ToArray();
        double mean = a.Average();
        return mean > 0 ? a.Max() / mean : 1;
    }
}

/// <summary>What one pre-quantization transform did to one activation: the pass (smoothquant, repquant, rotation), the
/// activation, the layers reading it, how X's change was applied (folded into LayerNormalization/MatMul/Gemm or an
/// inserted node), and the per-channel range spread max_j/mean_j of max|X_j| before and after (data passes only).
/// <see cref="Factors"/> (s, X ← X/s) and <see cref="Shifts"/> (c, X ← X/s − c) let a manifest reload repeat it without data.</summary>
public sealed record TransformEntry(string Pass, string Input, IReadOnlyList<string> Layers, string Applied, double? SpreadBefore = null, double? SpreadAfter = null)
{
    public float[]? Factors { get; init; }
    public float[]? Shifts { get; init; }
}
