using LowBit.Tensors;

namespace LowBit.Nn.Zoo;

/// <summary>
/// <c>gpt-tiny</c>: a character-level causal transformer (GPT-2 layout, Radford et al. 2019).
/// <code>
/// tokens int64 [N, T] → Gather(wte [V, D]) + wpe [T, D]          [N, T, D]
/// layers × pre-norm block with causal mask M[i, j] = −1e9 for j > i, else 0 (added to the scores before Softmax)
/// LayerNorm → MatMul W [D, V] (no bias)                         logits [N, T, V]
/// </code>
/// T is fixed in the graph (the position table and mask are T long). Weights N(0, 0.02²) truncated at ±2σ; residual
/// projections (attn.proj, mlp.fc2) use 0.02/√(2·layers) as in GPT-2. Defaults (V = 65, T = 64, 4 layers, 4 heads,
/// D = 128, MLP 4·D): 818,176 trainable parameters.
/// </summary>
public static class Gpt
{
    /// <summary>The additive causal mask value: finite, so masked logits give exp(−1e9 − max) = 0 without inf − inf.</summary>
    public const float MaskValue = -1e9f;

    public static Graph.Graph Build(GptOptions o)
    {
        var b = new GraphBuilder("gpt-tiny", o.Seed);
        int d = o.Width, t = o.Context;
        string ids = b.Input("tokens", DType.Int64, t);
        string x;
        using (b.Scope("embed"))
        {
            string wte = b.TruncatedNormal(b.Prefix, "token_embedding", [o.Vocab, d]);
            string wpe = b.TruncatedNormal(b.Prefix, "pos_embedding", [t, d]);
            x = b.Add(b.Gather(wte, ids, name: "tokens"), wpe, "add_pos");
        }
        string mask = b.Constant("causal_mask", CausalMask(t));
        double projStd = 0.02 / Math.Sqrt(2 * o.Layers);
        for (int i = 0; i < o.Layers; i++)
            using (b.Scope($"block{i}"))
                x = Transformer.Block(b, x, d, o.Heads, o.MlpRatio, mask, projStd, o.Attention, t);
        using (b.Scope("head"))
        {
            x = b.LayerNorm(x, d, "ln");
            x = b.Dense(x, d, o.Vocab, "lm_head", bias: false);
        }
        b.Output(x, "logits", DType.Float32, t, o.Vocab);
        return b.Graph;
    }

    /// <summary>[T, T] with <see cref="MaskValue"/> above the diagonal (key j after query i), 0 elsewhere.</summary>
    public static Tensor CausalMask(int t)
    {
        var m = new float[t * t];
        for (int i = 0; i < t; i++)
            for (int j = i + 1; j < t; j++) m[i * t + j] = MaskValue;
        return Tensor.FromArray(m, t, t);
    }
}
