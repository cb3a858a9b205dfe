using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// LSTM (gate order i, o, f, c in W, R, B; peepholes P = [P_i, P_o, P_f]):
/// i = f(x·W_iᵀ + h·R_iᵀ + P_i⊙c + b_i), f_t = f(… + P_f⊙c + b_f) (or 1 − i with input_forget), c̃ = g(x·W_cᵀ + h·R_cᵀ + b_c),
/// c' = f_t⊙c + i⊙c̃, o = f(x·W_oᵀ + h·R_oᵀ + P_o⊙c' + b_o), h' = o⊙h(c'); f, g, h default to Sigmoid, Tanh, Tanh.
/// Pre-activations are clipped to ±clip when clip is given.
/// </summary>
internal static class LstmOps
{
    [Op("LSTM", 1)]
    public static Tensor?[] Lstm(OpContext ctx, Tensor X, Tensor W, Tensor R, Tensor? B = null, Tensor? sequence_lens = null,
        Tensor? initial_h = null, Tensor? initial_c = null, Tensor? P = null, float[]? activation_alpha = null,
        float[]? activation_beta = null, string[]? activations = null, float? clip = null, string direction = "forward",
        long input_forget = 0, long layout = 0)
    {
        var a = RnnArgs.Parse("LSTM", 4, X, W, R, B, sequence_lens, initial_h, initial_c, direction, layout, clip,
            activations, activation_alpha, activation_beta, new[] { "Sigmoid", "Tanh", "Tanh" });
        int H = a.Hidden, batch = a.Batch;
        float[]? peep = null;
        if (P is not null)
        {
            if (!P.Shape.SequenceEqual(new[] { a.Dirs, 3 * H })) throw new ArgumentException($"LSTM: P {P.ShapeString} must be [{a.Dirs},{3 * H}]");
            peep = P.ToFloatArray();
        }
        var y = new float[a.Seq * a.Dirs * batch * H];
        var hState = (float[])a.H0.Clone();
        var cState = (float[])a.C0.Clone();
        var gAll = new float[batch * 4 * H];
        for (int d = 0; d < a.Dirs; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            var xw = a.Project(d, _ => true);
            Func<float, float> f = a.Act(d, 0), gAct = a.Act(d, 1), hAct = a.Act(d, 2);
            var pi = peep is null ? default : peep.AsSpan(d * 3 * H, H);
            var po = peep is null ? default : peep.AsSpan(d * 3 * H + H, H);
            var pf = peep is null ? default : peep.AsSpan(d * 3 * H + 2 * H, H);
            var hd = hState.AsSpan(d * batch * H, batch * H);
            for (int s = 0; s < a.Seq; s++)
            {
                a.Recur(d, hd, gAll, 0, 4 * H);
                for (int b = 0; b < batch; b++)
                {
                    if (s >= a.Lens[b]) continue;
                    int t = a.Time(reverse, s, b);
                    var h = hd.Slice(b * H, H);
                    var c = cState.AsSpan((d * batch + b) * H, H);
                    var g = gAll.AsSpan(b * 4 * H, 4 * H);
                    int row = (t * batch + b) * 4 * H;
                    for (int k = 0; k < H; k++)
                    {
                        float cPrev = c[k];
                        float i = f(a.ClipValue(g[k] + xw[row + k] + (peep is null ? 0 : pi[k] * cPrev)));
                        float ft = input_forget != 0 ? 1 - i : f(a.ClipValue(g[2 * H + k] + xw[row + 2 * H + k] + (peep is null ? 0 : pf[k] * cPrev)));
                        float cc = gAct(a.ClipValue(g[3 * H + k] + xw[row + 3 * H + k]));
                        float cNew = ft * cPrev + i * cc;
                        float o = f(a.ClipValue(g[H + k] + xw[row + H + k] + (peep is null ? 0 : po[k] * cNew)));
                        c[k] = cNew;
                        h[k] = o * hAct(cNew);
                    }
                    h.CopyTo(y.AsSpan(((t * a.Dirs + d) * batch + b) * H, H));
                }
            }
        }
        return a.Outputs(ctx, y, hState, cState);
    }
}
