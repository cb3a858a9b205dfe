namespace LowBit.Quantization.Algorithms;

/// <summary>
/// RepQuant's LayerNorm reparameterization (Li, Xiao, Liu, Gu: "RepQuant: Towards Accurate Post-Training Quantization of
/// Large Transformer Models via Scale Reparameterization", arXiv:2402.05628, §3.2). Post-LayerNorm activations have
/// per-channel ranges [m_j, M_j] that differ by orders of magnitude, so a per-tensor grid wastes most codes. A per-channel
/// asymmetric quantizer (s_j, z_j) is turned into an equivalent per-tensor one by folding the per-channel part into
/// LayerNorm's affine parameters and the next layers' weights:
/// <code>
/// r_j = M_j − m_j,  R = geometric mean of r,  s_j = r_j / R,  c_j = (M_j + m_j) / (2 s_j)
/// X' = X/s − c       every channel of X' spans [−R/2, R/2]         (γ' = γ/s, β' = β/s − c, InputTransform.Scale)
/// y  = X·W + b = X'·(diag(s)·W) + (b + c·diag(s)·W)                (weights W' = diag(s)·W, bias b' = b + c·W')
/// </code>
/// so a single per-tensor (scale, zero point) on X' quantizes each channel exactly as (R/rₕ)-scaled per-channel ones
/// would. The shift c needs a bias on every layer of the group (Gemm C, or the Add after a MatMul); without one only the
/// scale is folded. Applied to groups whose producer is a LayerNormalization that can absorb it; others are left to
/// SmoothQuant. RepQuant's second piece, log√2 quantization of softmax outputs, is not expressible with ONNX
/// QuantizeLinear (linear only): softmax outputs stay uint8 linear (docs/quantization.md).
/// </summary>
internal static class RepQuant
{
    public static List<TransformEntry> Apply(Graph.Graph g, IReadOnlyList<LinearGroup> groups, IReadOnlyDictionary<string, ChannelRange>? stats,
        IReadOnlyDictionary<string, TransformEntry>? stored)
    {
        var done = new List<TransformEntry>();
        var producers = g.Producers();
        var outputs = g.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var grp in groups)
        {
            var consumers = g.Consumers();
            if (!grp.Exclusive || !producers.TryGetValue(grp.Input, out var p) || InputTransform.LayerNorm(g, p, grp.K, consumers) is null) continue;
            var biases = grp.Layers.Select(l => l.Bias(g, consumers, outputs)).ToList();
            bool shift = biases.All(b => b is not null);
            double[] s;
            double[]? c;
            double? before = null, after = null;
            if (stored is not null)
            {
                if (!stored.TryGetValue(grp.Input, out var e) || e.Factors is null) continue;
                s = e.Factors.Select(f => (double)f).ToArray();
                c = e.Shifts?.Select(f => (double)f).ToArray();
            }
            else
            {
                var r = stats![grp.Input];
                (s, c) = Factors(r);
                s = s.Select(v => (double)(float)v).ToArray();
                c = shift ? c.Select(v => (double)(float)v).ToArray() : null;
                before = r.Spread();
                after = SmoothQuant.SpreadOf(Enumerable.Range(0, grp.K).Select(j =>
                    Math.Max(Math.Abs(r.Min[j] / s[j] - (c?[j] ?? 0)), Math.Abs(r.Max[j] / s[j] - (c?[j] ?? 0)))));
            }
            for (int i = 0; i < grp.Layers.Count; i++)
            {
                var l = grp.Layers[i];
                l.ScaleInputs(g, s);
                if (c is null) continue;
                // b'_n = b_n + Σ_j c_j·W'[j, n] (W' already scaled).
                var w = InputTransform.Writable(g, l.Weight);
                var b = InputTransform.Writable(g, biases[i]!);
                for (int n = 0; n < l.N; n++)
                {
                    double acc = b[n];
                    for (int j = 0; j < l.K; j++) acc += c[j] * w[l.At(j, n)];
                    b[n] = (float)acc;
                }
            }
            string how = InputTransform.Scale(g, grp, s.Select(v => 1 / v).ToArray(), c);
            done.Add(new TransformEntry("repquant", grp.Input, grp.Layers.Select(l => l.Node.DisplayName).ToList(), how, before, after)
                { Factors = s.Select(v => (float)v).ToArray(), Shifts = c?.Select(v => (float)v).ToArray() });
        }
        return done;
    }

    /// <summary>s_j = r_j / R (R the geometric mean of the positive ranges; s_j = 1 for a constant channel) and
    /// c_j = (M_j + m_j) / (2 s_j).</summary>
    internal static (double[] S, double[] C) Factors(ChannelRange r)
    {
        int k = r.Min.Length;
        var range = Enumerable.Range(0, k).Select(j => double.IsFinite(r.Max[j] - r.Min[j]) ? r.Max[j] - r.Min[j] : 0).ToArray();
        var pos = range.Where(v => v > 0).ToArray();
        double geo = pos.Length == 0 ? 1 : Math.Exp(pos.Average(Math.Log));
        var s = range.Select(v => v > 0 ? Math.Clamp(v / geo, 1e-5, 1e5) : 1).ToArray();
        var c = Enumerable.Range(0, k).Select(j => range[j] > 0 ? (r.Max[j] + r.Min[j]) / (2 * s[j]) : 0).ToArray();
        return (s, c);
    }
}
