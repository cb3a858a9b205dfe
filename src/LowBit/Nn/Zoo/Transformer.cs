namespace LowBit.Nn.Zoo;

/// <summary>
/// Pre-norm transformer block (Vaswani et al. 2017; pre-norm as in GPT-2 / ViT) on tokens x [N, T, D]:
/// <code>
/// x = x + proj(Attention(LN1(x)))
/// x = x + fc2(GELU(fc1(LN2(x))))                         fc1: D → r·D, fc2: r·D → D
/// Attention: q, k, v = x·Wq + bq, x·Wk + bk, x·Wv + bv    each [N, T, D] → [N, H, T, d], d = D / H
///            A = softmax(q·kᵀ · 1/√d + M)                 [N, H, T, T], M the additive mask (0 or −1e9) or none
///            out = merge(A·v)                             [N, H, T, d] → [N, T, D]
/// </code>
/// Written only with MatMul, Reshape, Transpose, Mul, Add, Softmax, LayerNormalization and Gelu, so every op has a gradient.
/// <see cref="AttentionKind"/> swaps in the clipped softmax or the gated heads (<see cref="AttentionVariants"/>); T is the
/// sequence length the clipped softmax's γ = −α/T is set from.
/// </summary>
internal static class Transformer
{
    public static string Block(GraphBuilder b, string x, int dim, int heads, int mlpRatio, string? mask, double projStd = 0.02,
        AttentionKind attention = AttentionKind.Vanilla, int tokens = 0)
    {
        string h = b.LayerNorm(x, dim, "ln1");
        using (b.Scope("attn")) h = Attention(b, h, dim, heads, mask, projStd, attention, tokens);
        x = b.Add(x, h, "add1");
        h = b.LayerNorm(x, dim, "ln2");
        using (b.Scope("mlp"))
        {
            h = b.Dense(h, dim, dim * mlpRatio, "fc1");
            h = b.Gelu(h);
            h = b.Dense(h, dim * mlpRatio, dim, "fc2", projStd);
        }
        return b.Add(x, h, "add2");
    }

    public static string Attention(GraphBuilder b, string x, int dim, int heads, string? mask, double projStd,
        AttentionKind attention = AttentionKind.Vanilla, int tokens = 0)
    {
        if (dim % heads != 0) throw new ArgumentException($"width {dim} is not a multiple of heads {heads}");
        if (attention == AttentionKind.ClippedSoftmax && tokens < 1) throw new ArgumentException("clipped softmax needs the sequence length T");
        int d = dim / heads;
        string q = Heads(b, b.Dense(x, dim, dim, "q"), heads, d, [0, 2, 1, 3], "q");
        string k = Heads(b, b.Dense(x, dim, dim, "k"), heads, d, [0, 2, 3, 1], "k");
        string v = Heads(b, b.Dense(x, dim, dim, "v"), heads, d, [0, 2, 1, 3], "v");
        string s = b.MatMul(q, k, "scores");
        s = b.Mul(s, b.Scalar((float)(1 / Math.Sqrt(d))), "scale");
        if (mask is not null) s = b.Add(s, mask, "mask");
        string a = b.Softmax(s, -1, "softmax");
        if (attention == AttentionKind.ClippedSoftmax) a = AttentionVariants.ClippedSoftmax(b, a, tokens);
        string o = b.MatMul(a, v, "context");
        o = b.Transpose(o, [0, 2, 1, 3], "merge.transpose");
        if (attention == AttentionKind.Gated) o = AttentionVariants.Gate(b, x, o, heads, d);
        o = b.Reshape(o, [0, 0, dim], "merge.reshape");
        return b.Dense(o, dim, dim, "proj", projStd);
    }

    /// <summary>[N, T, D] → [N, T, H, d] → permuted (q, v: [N, H, T, d]; k: [N, H, d, T], pre-transposed for q·kᵀ).</summary>
    private static string Heads(GraphBuilder b, string x, int heads, int d, long[] perm, string name)
    {
        x = b.Reshape(x, [0, 0, heads, d], name + ".split");
        return b.Transpose(x, perm, name + ".heads");
    }
}
