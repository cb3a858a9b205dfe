using LowBit.Tensors;

namespace LowBit.Nn.Zoo;

/// <summary>
/// <c>vit-tiny</c>: Vision Transformer (Dosovitskiy et al. 2021) for small images.
/// <code>
/// patches: Conv C→D, kernel = stride = p                         [N, D, H/p, W/p]
/// tokens:  Reshape [N, D, S] – Transpose                          [N, S, D], S = HW/p²
/// [class token: Concat(cls, tokens) on axis 1                      [N, S+1, D]]
/// + learned position embedding [1, S(+1), D]
/// depth × pre-norm block (Transformer.Block, GELU MLP r·D)
/// LayerNorm; pool: class token (Slice) or mean token (GlobalAveragePool over [N, D, S]); Gemm → classes
/// </code>
/// Defaults (1×28×28, p = 4, D = 64, 4 heads, depth 4, r = 2, mean pooling, 10 classes): 138,890 trainable parameters.
/// </summary>
public static class Vit
{
    public static Graph.Graph Build(VitOptions o)
    {
        var b = new GraphBuilder("vit-tiny", o.Seed);
        int d = o.Dim, p = o.PatchSize;
        int patches = o.Height / p * (o.WidthPixels / p);
        string x = b.Input("input", DType.Float32, o.InputShape);
        using (b.Scope("embed"))
        {
            x = b.Conv(x, o.Channels, d, p, p, pad: 0, name: "patch", gain: 1.0);
            x = b.Reshape(x, [0, d, patches], "flatten");
            x = b.Transpose(x, [0, 2, 1], "tokens");
            if (o.ClassToken)
            {
                string cls = b.TruncatedNormal(b.Prefix, "cls_token", [1, 1, d]);
                // [N, 1, D] = 0·x[:, :1] + cls: broadcasts the token over the batch with ops that all have gradients.
                string zero = b.Mul(b.Slice(x, [0], [1], [1], "first"), b.Scalar(0f), "zero");
                x = b.Concat(1, [b.Add(zero, cls, "cls"), x], "concat");
            }
            string pos = b.TruncatedNormal(b.Prefix, "pos_embedding", [1, o.Tokens, d]);
            x = b.Add(x, pos, "add_pos");
        }
        for (int i = 0; i < o.Depth; i++)
            using (b.Scope($"block{i}"))
                x = Transformer.Block(b, x, d, o.Heads, o.MlpRatio, mask: null, attention: o.Attention, tokens: o.Tokens);
        using (b.Scope("head"))
        {
            x = b.LayerNorm(x, d, "ln");
            x = o.ClassToken
                ? b.Flatten(b.Slice(x, [0], [1], [1], "cls"))
                : b.Flatten(b.GlobalAveragePool(b.Transpose(x, [0, 2, 1], "channels_first"), "pool"));
            x = b.Linear(x, d, o.Classes, "fc", gain: 1.0);
        }
        b.Output(x, "logits", DType.Float32, o.Classes);
        return b.Graph;
    }
}
