using LowBit.Tensors;

namespace LowBit.Nn.Zoo;

/// <summary>
/// The two attention changes of Bondarenko et al. 2023 (arXiv:2306.12929, §4), built from ops that have gradients
/// (Mul, Add, Clip with min/max inputs, Reshape, ReduceSum, Sigmoid), so the zoo models stay trainable and export to
/// plain ONNX.
/// </summary>
internal static class AttentionVariants
{
    /// <summary>ζ of the clipped softmax: 1, so no weight is stretched past 1; the exact zeros a "do nothing" head needs come
    /// from γ &lt; 0 alone.</summary>
    public const float Zeta = 1f;

    /// <summary>α of γ = −α/T. A weight p is clipped to 0 when (ζ − γ)·p + γ ≤ 0, i.e. p ≤ α/(T + α): with α &gt; T/(T − 1)
    /// (about 1) even the uniform weight 1/T is clipped. A freshly initialized model attends almost uniformly (weights
    /// N(0, 0.02²) give near-equal logits), and Clip passes no gradient where it clips, so α ≥ 1 starts almost every
    /// weight at exactly 0 with no gradient to q and k (measured: vit-tiny with α = 4 after 300 steps had attention outputs
    /// of std 0.003–0.010 against vanilla's 0.09–0.14: its attention barely trained).
    /// α = 1/2 keeps the uniform weight alive ((1 + α/T)/T − α/T ≈ 0.5/T at init) and still zeroes every key below about half
    /// the uniform weight, so a "do nothing" head reaches exact zeros with a finite logit gap ≈ ln(T/α) instead of an
    /// unbounded one.</summary>
    public const double Alpha = 0.5;

    /// <summary>Initial gate bias b₀ = 2: σ(2) = 0.88, so every head starts (nearly) open, close to vanilla attention, and
    /// the sigmoid's slope there (0.10) still lets a head learn to close.</summary>
    public const float GateBiasInit = 2f;

    /// <summary>γ = −α/T for a sequence of <paramref name="tokens"/> keys.</summary>
    public static float Gamma(int tokens) => (float)(-Alpha / tokens);

    /// <summary>
    /// A = clip((ζ − γ)·p + γ, 0, 1) on softmax output p [N, H, T, T]. Masked keys (p = 0) map to γ &lt; 0 → 0. Clip passes no
    /// gradient where it clips, which is what stops the logits from being pushed further once a weight is exactly 0.
    /// </summary>
    public static string ClippedSoftmax(GraphBuilder b, string p, int tokens)
    {
        float gamma = Gamma(tokens);
        string x = b.Mul(p, b.Scalar(Zeta - gamma), "clip.stretch");
        x = b.Add(x, b.Scalar(gamma), "clip.shift");
        return b.Op("Clip", "clip", [x, b.Scalar(0f), b.Scalar(1f)]);
    }

    /// <summary>
    /// The paper's linear gate, one per head on that head's slice of the attention input x [N, T, D] (x_h [N, T, d],
    /// D = H·d): π_h = σ(x_h·w_h + b_h) [N, T], and the head's output (A·v)_h [N, T, d] is multiplied by π_h token by
    /// token. w [H, d] ~ N(0, 0.02²) truncated, b [H] = <see cref="GateBiasInit"/>; H·(d + 1) parameters per block.
    /// <paramref name="context"/> is the heads' output merged to [N, T, H, d]; returns the gated [N, T, H, d].
    /// Layout: x → Reshape [N, T, H, d] → Mul w (broadcast [H, d]) → ReduceSum(−1) [N, T, H] → + b → Sigmoid →
    /// Reshape [N, T, H, 1] → Mul context.
    /// </summary>
    public static string Gate(GraphBuilder b, string x, string context, int heads, int d)
    {
        string n = b.UniqueName("gate");
        string w = b.TruncatedNormal(n, "weight", [heads, d]);
        var bias = Tensor.Zeros(DType.Float32, heads);
        bias.AsSpan<float>().Fill(GateBiasInit);
        string bb = b.Parameter(n, "bias", bias);
        string xh = b.Reshape(x, [0, 0, heads, d], "gate.split");
        string logit = b.Op("ReduceSum", "gate.dot", [b.Mul(xh, w, "gate.mul"), b.Ints(-1)], ("keepdims", 0L));
        logit = b.Add(logit, bb, "gate.add");
        string pi = b.Reshape(b.Op("Sigmoid", "gate.sigmoid", [logit]), [0, 0, heads, 1], "gate.expand");
        return b.Mul(context, pi, "gated");
    }
}
