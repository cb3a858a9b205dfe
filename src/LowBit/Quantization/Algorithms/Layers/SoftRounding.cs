using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>
/// AdaRound's soft-quantized weights as graph nodes (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training
/// Quantization", arXiv:2004.10568, §3.3–3.4), for any layout the caller chooses (elementwise throughout):
/// <code>
/// h(V) = clip(σ(V)·(ζ − γ) + γ, 0, 1)          rectified sigmoid, ζ = 1.1, γ = −0.1 (eq. 23)
/// W̃(V) = down + h(V)·(up − down)               down/up = the grid values below/above w (ElementGrid.Neighbours)
/// f_reg = Σ_i 1 − |2·h(V_i) − 1|^β             pushes every h to 0 or 1 (eq. 24), β annealed high → low
/// </code>
/// Writing W̃ from the two grid neighbours (rather than s·(⌊w/s⌋ + h)) makes it hold for per-tensor, per-channel and
/// per-group scales, any bit width and non-uniform grids alike; at a grid end down = up and the element is fixed.
/// The node is added to an existing graph (a layer's or a block's objective), so several layers can share one loss.
/// Down/Delta/V are initializers of that graph; only V is trained.
/// </summary>
internal static class SoftRounding
{
    public const float Zeta = 1.1f, Gamma = -0.1f;

    /// <summary>Adds the relaxation as one <c>com.lowbit.SoftRounding</c> node (<see cref="Onnx.Ops.SoftRoundingOp"/>: W̃ and
    /// f_reg with their gradient to V in one pass each): returns the value names of W̃ (V's shape) and of the scalar f_reg.
    /// <paramref name="beta"/> names a scalar value (a graph input, so the annealing needs no graph change).</summary>
    public static (string Weights, string Regularizer) Add(Graph.Graph g, string v, string down, string delta, string beta, string prefix)
    {
        g.Opsets.TryAdd(Onnx.Ops.SoftRoundingOp.Domain, 1);
        string w = g.UniqueName(prefix + ".soft_weights"), reg = g.UniqueName(prefix + ".reg");
        g.Add("SoftRounding", [v, down, delta, beta], [w, reg], g.UniqueName(prefix + ".soft_rounding"), Onnx.Ops.SoftRoundingOp.Domain)
            .With("zeta", Zeta).With("gamma", Gamma);
        return (w, reg);
    }

    /// <summary>The grid neighbours of every weight: down_i, up_i and delta_i = up_i − down_i ≥ 0.</summary>
    public static RoundingBounds Bounds(ElementGrid grid, ReadOnlySpan<float> w)
    {
        var down = new float[w.Length];
        var up = new float[w.Length];
        var delta = new float[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            (down[i], up[i]) = grid.Neighbours(i, w[i]);
            delta[i] = up[i] - down[i];
        }
        return new RoundingBounds(down, up, delta);
    }

    /// <summary>V with h(V) = (w − down)/delta, the fractional part (§3.4): V = σ⁻¹((frac − γ)/(ζ − γ)); frac ∈ [0, 1]
    /// maps inside (1/12, 11/12), so V is finite. A fixed element (delta = 0) gets frac = 0.</summary>
    public static float[] InitialV(ReadOnlySpan<float> w, ReadOnlySpan<float> down, ReadOnlySpan<float> delta)
    {
        var v = new float[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            double frac = delta[i] > 0 ? Math.Clamp((w[i] - down[i]) / delta[i], 0.0, 1.0) : 0.0;
            double p = (frac - Gamma) / (Zeta - Gamma);
            v[i] = (float)Math.Log(p / (1 - p));
        }
        return v;
    }

    /// <summary>h(V) of one element (as the graph computes it).</summary>
    public static float H(float v) => Math.Clamp(1f / (1f + MathF.Exp(-v)) * (Zeta - Gamma) + Gamma, 0f, 1f);

    /// <summary>The final rounding: up where h(V) ≥ ½, down otherwise. The grid neighbours themselves are returned (not
    /// down + delta, which on a non-uniform grid can differ from up in the last bit), so every value is on the grid.</summary>
    public static float[] Harden(RoundingBounds b, ReadOnlySpan<float> v)
    {
        var w = new float[v.Length];
        for (int i = 0; i < w.Length; i++) w[i] = H(v[i]) >= 0.5f ? b.Up[i] : b.Down[i];
        return w;
    }

    /// <summary>Fraction of elements whose h(V) is within <paramref name="tolerance"/> of 0 or 1.</summary>
    public static double HardFraction(ReadOnlySpan<float> v, float tolerance = 0.01f)
    {
        int n = 0;
        foreach (float x in v) { float h = H(x); if (MathF.Min(h, 1 - h) < tolerance) n++; }
        return v.Length == 0 ? 1 : (double)n / v.Length;
    }

    /// <summary>
    /// β at step t of T (§4 of the paper and its reference setting): no regularization (λ·f_reg off) for the first
    /// <paramref name="warmup"/>·T steps, then β decays linearly from <paramref name="start"/> to <paramref name="end"/>.
    /// Returns (β, whether the regularizer is on).
    /// </summary>
    public static (float Beta, bool Regularize) Schedule(int t, int total, double warmup = 0.2, double start = 20, double end = 2)
    {
        int w0 = (int)(warmup * total);
        if (t < w0) return ((float)start, false);
        double r = total - w0 <= 1 ? 1 : (double)(t - w0) / (total - w0 - 1);
        return ((float)(end + (start - end) * (1 - r)), true);
    }
}

/// <summary>Each weight's grid neighbours (same layout as the weights): W̃ ∈ {Down, Up}, Delta = Up − Down.</summary>
internal sealed record RoundingBounds(float[] Down, float[] Up, float[] Delta)
{
    /// <summary>var (down, delta) = bounds: what W̃ = down + h·delta needs.</summary>
    public void Deconstruct(out float[] down, out float[] delta) { down = Down; delta = Delta; }
}
