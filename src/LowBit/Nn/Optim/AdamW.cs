using System.Runtime.Intrinsics;

namespace LowBit.Nn.Optim;

/// <summary>AdamW hyperparameters (PyTorch defaults: β = (0.9, 0.999), ε = 1e-8, λ = 0.01).</summary>
public sealed record AdamWOptions
{
    public AdamWOptions(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01)
    {
        if (!(learningRate >= 0) || !double.IsFinite(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), "learning rate must be finite and ≥ 0");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), "beta1 must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), "beta2 must be in [0, 1)");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), "epsilon must be positive");
        if (!(weightDecay >= 0) || !double.IsFinite(weightDecay)) throw new ArgumentOutOfRangeException(nameof(weightDecay), "weight decay must be finite and ≥ 0");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    public double LearningRate { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public double WeightDecay { get; }
}

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter 2019; Kingma &amp; Ba 2015), as PyTorch's
/// <c>torch.optim.AdamW</c>, at step t (1-based):
/// <code>
/// p ← p·(1 − η·λ)
/// m ← β₁·m + (1 − β₁)·g        v ← β₂·v + (1 − β₂)·g²
/// p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// State buffers: <c>exp_avg</c> (m), <c>exp_avg_sq</c> (v); t is the optimizer's step count.
/// </summary>
public sealed class AdamW : Optimizer
{
    public AdamWOptions Options { get; }

    /// <param name="parameters">Initializers to update (default: <see cref="Parameters.Trainable"/>).</param>
    /// <param name="noWeightDecay">Parameters exempt from weight decay (e.g. <see cref="Parameters.NoWeightDecay"/>).</param>
    public AdamW(Graph.Graph graph, AdamWOptions options, IEnumerable<string>? parameters = null, Func<string, bool>? noWeightDecay = null)
        : base(graph, options.LearningRate, parameters, noWeightDecay, "exp_avg", "exp_avg_sq") => Options = options;

    protected override void Update(string name, Span<float> p, ReadOnlySpan<float> g, bool noDecay)
    {
        var o = Options;
        var m = Buffer(0, name, out _);
        var v = Buffer(1, name, out _);
        double lr = LearningRate, t = Steps;
        float decay = (float)(1 - lr * (noDecay ? 0 : o.WeightDecay));
        float b1 = (float)o.Beta1, b2 = (float)o.Beta2, eps = (float)o.Epsilon;
        float stepSize = (float)(lr / (1 - Math.Pow(o.Beta1, t)));
        float invSqrtBc2 = (float)(1 / Math.Sqrt(1 - Math.Pow(o.Beta2, t)));
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // The same float operations in the same order as the scalar loop (no FMA), so the result is bit-identical.
            var vb1 = Vector256.Create(b1); var vc1 = Vector256.Create(1 - b1);
            var vb2 = Vector256.Create(b2); var vc2 = Vector256.Create(1 - b2);
            var vDecay = Vector256.Create(decay); var vStep = Vector256.Create(stepSize);
            var vInv = Vector256.Create(invSqrtBc2); var vEps = Vector256.Create(eps);
            for (; i <= p.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.Create(g.Slice(i, Vector256<float>.Count));
                var mi = vb1 * Vector256.Create(m.Slice(i, Vector256<float>.Count)) + vc1 * gi;
                var vi = vb2 * Vector256.Create(v.Slice(i, Vector256<float>.Count)) + vc2 * gi * gi;
                mi.CopyTo(m.Slice(i));
                vi.CopyTo(v.Slice(i));
                var pi = Vector256.Create(p.Slice(i, Vector256<float>.Count)) * vDecay - vStep * mi / (Vector256.Sqrt(vi) * vInv + vEps);
                pi.CopyTo(p.Slice(i));
            }
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i];
            float mi = m[i] = b1 * m[i] + (1 - b1) * gi;
            float vi = v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            p[i] = p[i] * decay - stepSize * mi / (MathF.Sqrt(vi) * invSqrtBc2 + eps);
        }
    }
}
