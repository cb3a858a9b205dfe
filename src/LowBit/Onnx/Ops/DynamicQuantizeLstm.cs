using LowBit.Kernels.Gemm;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// com.microsoft DynamicQuantizeLSTM (ONNX Runtime contrib op): the LSTM of <see cref="LstmOps"/> whose two products
/// run on 8-bit integers. Inputs: X, W_q [dirs, in, 4H], R_q [dirs, H, 4H] (int8 or uint8, transposed against ONNX
/// LSTM's [dirs, 4H, in]), B, sequence_lens, initial_h, initial_c, P, W_scale, W_zero_point, R_scale, R_zero_point;
/// scales and zero points are [dirs] (one per direction) or [dirs, 4H] (one per gate row). Gate order i, o, f, c.
/// <code>
/// x·Wᵀ[g] ≈ s_x·s_W[d,g]·Σ_k (x_q[k] − z_x)(W_q[k,g] − z_W[d,g])     x_q, s_x, z_x: DynamicQuantizeLinear of all of X
/// h·Rᵀ[g] ≈ s_h·s_R[d,g]·Σ_k (h_q[k] − z_h)(R_q[k,g] − z_R[d,g])     h_q: of the whole [batch, H] state, every step
/// </code>
/// as ONNX Runtime does (uint8 activations quantized per GEMM call with the range widened to contain 0). The centred
/// integer products are summed by the float32 GEMM: exact while |Σ| &lt; 2²⁴ (255·128·K for K ≤ 513), beyond that
/// within 2⁻²⁴ relative, far below the quantization error itself. Cell math as in <see cref="LstmOps"/>.
/// </summary>
internal static class DynamicQuantizeLstmOps
{
    [Op("DynamicQuantizeLSTM", 1, "com.microsoft")]
    public static Tensor?[] DynamicQuantizeLstm(OpContext ctx, Tensor X, Tensor W, Tensor R, Tensor? B = null, Tensor? sequence_lens = null,
        Tensor? initial_h = null, Tensor? initial_c = null, Tensor? P = null, Tensor? W_scale = null, Tensor? W_zero_point = null,
        Tensor? R_scale = null, Tensor? R_zero_point = null, float[]? activation_alpha = null, float[]? activation_beta = null,
        string[]? activations = null, float? clip = null, string direction = "forward", long hidden_size = 0, long input_forget = 0)
    {
        if (W.Rank != 3 || R.Rank != 3) throw new ArgumentException($"DynamicQuantizeLSTM: W {W.ShapeString} and R {R.ShapeString} must be 3-D");
        if (W_scale is null || W_zero_point is null || R_scale is null || R_zero_point is null)
            throw new ArgumentException("DynamicQuantizeLSTM: W_scale, W_zero_point, R_scale and R_zero_point are required");
        int dirs = W.Shape[0], H = R.Shape[1], gh = 4 * H;
        if (hidden_size != 0 && hidden_size != H) throw new ArgumentException($"DynamicQuantizeLSTM: hidden_size {hidden_size} but R is {R.ShapeString}");
        var (wc, ws) = Centered("W", W, W_scale, W_zero_point, dirs, gh);
        var (rc, rs) = Centered("R", R, R_scale, R_zero_point, dirs, gh);
        // RnnArgs validates shapes, B, lengths, states and activations on the ONNX layout of the centred codes.
        var a = RnnArgs.Parse("DynamicQuantizeLSTM", 4, X, wc, rc, B, sequence_lens, initial_h, initial_c, direction, 0, clip,
            activations, activation_alpha, activation_beta, new[] { "Sigmoid", "Tanh", "Tanh" });
        int batch = a.Batch;
        float[]? peep = null;
        if (P is not null)
        {
            if (!P.Shape.SequenceEqual(new[] { dirs, 3 * H })) throw new ArgumentException($"DynamicQuantizeLSTM: P {P.ShapeString} must be [{dirs},{3 * H}]");
            peep = P.ToFloatArray();
        }
        var (xq, sx) = QuantizeDynamic(a.X);
        var y = new float[a.Seq * dirs * batch * H];
        var hState = (float[])a.H0.Clone();
        var cState = (float[])a.C0.Clone();
        var gAll = new float[batch * gh];
        var hq = new float[batch * H];
        for (int d = 0; d < dirs; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            var xw = Product(xq, sx, a.Seq * batch, a.Input, a.W.AsSpan(d * gh * a.Input, gh * a.Input), ws.AsSpan(d * gh, gh), gh);
            for (int row = 0; row < a.Seq * batch; row++)
                for (int g = 0; g < gh; g++) xw[row * gh + g] += a.Wb[d * gh + g] + a.Rb[d * gh + g];
            Func<float, float> f = a.Act(d, 0), gAct = a.Act(d, 1), hAct = a.Act(d, 2);
            var hd = hState.AsSpan(d * batch * H, batch * H);
            for (int s = 0; s < a.Seq; s++)
            {
                hd.CopyTo(hq);
                float sh = QuantizeDynamicInPlace(hq);
                Product(hq, sh, batch, H, a.R.AsSpan(d * gh * H, gh * H), rs.AsSpan(d * gh, gh), gh).CopyTo(gAll, 0);
                for (int b = 0; b < batch; b++)
                {
                    if (s >= a.Lens[b]) continue;
                    int t = a.Time(reverse, s, b);
                    var h = hd.Slice(b * H, H);
                    var c = cState.AsSpan((d * batch + b) * H, H);
                    int row = (t * batch + b) * gh;
                    for (int k = 0; k < H; k++)
                    {
                        float pre(int gate) => gAll[b * gh + gate * H + k] + xw[row + gate * H + k];
                        float peephole(int which, float cv) => peep is null ? 0 : peep[d * 3 * H + which * H + k] * cv;
                        float cPrev = c[k];
                        float i = f(a.ClipValue(pre(0) + peephole(0, cPrev)));
                        float ft = input_forget != 0 ? 1 - i : f(a.ClipValue(pre(2) + peephole(2, cPrev)));
                        float cNew = ft * cPrev + i * gAct(a.ClipValue(pre(3)));
                        float o = f(a.ClipValue(pre(1) + peephole(1, cNew)));
                        c[k] = cNew;
                        h[k] = o * hAct(cNew);
                    }
                    h.CopyTo(y.AsSpan(((t * dirs + d) * batch + b) * H, H));
                }
            }
        }
        return a.Outputs(ctx, y, hState, cState);
    }

    /// <summary>Codes [dirs, K, 4H] → centred codes (q − z) transposed to the ONNX layout [dirs, 4H, K], and the scales
    /// expanded to one per (direction, gate row).</summary>
    private static (Tensor Centered, float[] Scales) Centered(string name, Tensor q, Tensor scale, Tensor zeroPoint, int dirs, int gh)
    {
        if (q.DType is not (DType.Int8 or DType.UInt8)) throw new ArgumentException($"DynamicQuantizeLSTM: {name} must be int8 or uint8, got {q.DType.Name()}");
        if (q.Shape[0] != dirs || q.Shape[2] != gh) throw new ArgumentException($"DynamicQuantizeLSTM: {name} {q.ShapeString} must be [{dirs}, K, {gh}]");
        if (zeroPoint.DType != q.DType) throw new ArgumentException($"DynamicQuantizeLSTM: {name}_zero_point is {zeroPoint.DType.Name()}, {name} is {q.DType.Name()}");
        bool perRow = scale.Rank == 2;
        if (!(scale.Rank == 1 && scale.Shape[0] == dirs || perRow && scale.Shape[0] == dirs && scale.Shape[1] == gh) || !zeroPoint.Shape.SequenceEqual(scale.Shape))
            throw new ArgumentException($"DynamicQuantizeLSTM: {name}_scale {scale.ShapeString} / {name}_zero_point {zeroPoint.ShapeString} must both be [{dirs}] or [{dirs},{gh}]");
        var s = QuantMath.ReadFloats(scale);
        var z = QuantMath.ReadInts(zeroPoint);
        var codes = QuantMath.ReadInts(q);
        int k = q.Shape[1];
        var centered = new float[codes.Length];
        var scales = new float[dirs * gh];
        for (int d = 0; d < dirs; d++)
            for (int g = 0; g < gh; g++)
            {
                int p = perRow ? d * gh + g : d;
                scales[d * gh + g] = s[p];
                for (int i = 0; i < k; i++) centered[(d * gh + g) * k + i] = codes[(d * k + i) * gh + g] - z[p];
            }
        return (Tensor.FromArray(centered, dirs, gh, k), scales);
    }

    /// <summary>uint8 dynamic quantization (as DynamicQuantizeLinear) of <paramref name="x"/>; returns centred codes.</summary>
    private static (float[] Centered, float Scale) QuantizeDynamic(float[] x)
    {
        var c = (float[])x.Clone();
        return (c, QuantizeDynamicInPlace(c));
    }

    private static float QuantizeDynamicInPlace(Span<float> x)
    {
        var (scale, zp) = DynamicQuantizeLinearOps.Parameters(x);
        for (int i = 0; i < x.Length; i++)
        {
            float q = MathF.Round(x[i] / scale, MidpointRounding.ToEven);
            x[i] = QuantMath.RoundSaturate(float.IsNaN(q) ? zp : q + zp, 0, 255) - zp;
        }
        return scale;
    }

    /// <summary>out[r, g] = s_a·s_w[g]·Σ_k a[r, k]·w[g, k] for centred codes a [rows, K] and w [G, K].</summary>
    private static float[] Product(ReadOnlySpan<float> a, float sa, int rows, int k, ReadOnlySpan<float> w, ReadOnlySpan<float> sw, int cols)
    {
        var o = new float[rows * cols];
        if (rows == 0) return o;
        GemmF32.Gemm(false, true, rows, cols, k, 1f, a, k, w, k, 0f, o, cols);
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < cols; g++) o[r * cols + g] *= sa * sw[g];
        return o;
    }
}
