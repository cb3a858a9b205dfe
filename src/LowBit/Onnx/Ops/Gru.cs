using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// GRU (gate order z, r, h in W, R, B): z = f(x·W_zᵀ + h·R_zᵀ + Wb_z + Rb_z), r = f(x·W_rᵀ + h·R_rᵀ + Wb_r + Rb_r),
/// h̃ = g(x·W_hᵀ + (r⊙h)·R_hᵀ + Rb_h + Wb_h), or with linear_before_reset h̃ = g(x·W_hᵀ + r⊙(h·R_hᵀ + Rb_h) + Wb_h);
/// h' = (1 − z)⊙h̃ + z⊙h. f, g default to Sigmoid, Tanh. Pre-activations are clipped to ±clip when clip is given.
/// </summary>
internal static class GruOps
{
    [Op("GRU", 1)]
    public static Tensor?[] Gru(OpContext ctx, Tensor X, Tensor W, Tensor R, Tensor? B = null, Tensor? sequence_lens = null,
        Tensor? initial_h = null, float[]? activation_alpha = null, float[]? activation_beta = null, string[]? activations = null,
        float? clip = null, string direction = "forward", long layout = 0, long linear_before_reset = 0)
    {
        var a = RnnArgs.Parse("GRU", 3, X, W, R, B, sequence_lens, initial_h, null, direction, layout, clip,
            activations, activation_alpha, activation_beta, new[] { "Sigmoid", "Tanh" });
        int H = a.Hidden, batch = a.Batch;
        bool lbr = linear_before_reset != 0;
        var y = new float[a.Seq * a.Dirs * batch * H];
        var hState = (float[])a.H0.Clone();
        // Per step: gAll = h·R_{z,r}ᵀ (and R_hᵀ with linear_before_reset) for all batch rows; z, r overwrite their slots.
        int recur = lbr ? 3 * H : 2 * H;
        var gAll = new float[batch * recur];
        var rh = new float[batch * H];
        var hh = new float[batch * H];
        for (int d = 0; d < a.Dirs; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            // Rb_h joins the input projection unless it sits inside r⊙(…) (linear_before_reset).
            var xw = a.Project(d, gate => !lbr || gate < 2 * H);
            Func<float, float> f = a.Act(d, 0), gAct = a.Act(d, 1);
            var rbh = a.Rb.AsSpan(d * 3 * H + 2 * H, H);
            var hd = hState.AsSpan(d * batch * H, batch * H);
            for (int s = 0; s < a.Seq; s++)
            {
                a.Recur(d, hd, gAll, 0, recur);
                for (int b = 0; b < batch; b++)
                {
                    if (s >= a.Lens[b]) continue;
                    int t = a.Time(reverse, s, b), row = (t * batch + b) * 3 * H;
                    var g = gAll.AsSpan(b * recur, recur);
                    var h = hd.Slice(b * H, H);
                    for (int k = 0; k < 2 * H; k++) g[k] = f(a.ClipValue(g[k] + xw[row + k]));
                    for (int k = 0; k < H; k++) rh[b * H + k] = g[H + k] * h[k];
                }
                // Without linear_before_reset the candidate needs (r⊙h)·R_hᵀ: a second GEMM.
                if (!lbr) a.Recur(d, rh, hh, 2 * H, H);
                for (int b = 0; b < batch; b++)
                {
                    if (s >= a.Lens[b]) continue;
                    int t = a.Time(reverse, s, b), row = (t * batch + b) * 3 * H;
                    var g = gAll.AsSpan(b * recur, recur);
                    var h = hd.Slice(b * H, H);
                    for (int k = 0; k < H; k++)
                    {
                        float pre = lbr ? xw[row + 2 * H + k] + g[H + k] * (g[2 * H + k] + rbh[k]) : xw[row + 2 * H + k] + hh[b * H + k];
                        float cand = gAct(a.ClipValue(pre));
                        h[k] = (1 - g[k]) * cand + g[k] * h[k];
                    }
                    h.CopyTo(y.AsSpan(((t * a.Dirs + d) * batch + b) * H, H));
                }
            }
        }
        return a.Outputs(ctx, y, hState);
    }
}
