namespace LowBit.Quantization.Qdq;

/// <summary>
/// Widens weight scales so every Conv/Gemm bias fits int32 at scale s_x·s_w: channel c needs
/// s_w,c ≥ |b_c| / (s_x·L), L = 0.999·2³¹ (the margin absorbs the float32 product). At 8 bits this never binds
/// (|b|/(s_x·s_w) ≈ 10⁴…10⁶); with 16-bit activations and weights s_x·s_w ≈ 10⁻¹⁰ and BN-folded biases of 0.5–2 need
/// up to 2× the int32 range. Saturating them shifted fashion-cnn's W16A16 logits by up to 4 (92.30 % vs 92.45 % W8A8),
/// and keeping the bias float does not help: ONNX Runtime quantizes a float Conv bias between DequantizeLinear inputs
/// to int32 with that same scale at load. A widened channel loses log2(factor) bits of weight resolution (≤ 1 bit on
/// fashion-cnn: 15-bit weights). Only zero-point-0 (symmetric) weights are widened; others keep their scales.
/// </summary>
internal static class BiasFit
{
    private const double Limit = 0.999 * 2147483648.0;

    public static void Apply(Graph.Graph g, QdqPlan plan, QdqParams p)
    {
        foreach (var b in plan.Biases)
        {
            if (!p.Activations.TryGetValue(b.Input, out var px) || !p.Weights.TryGetValue(b.Weight, out var pw)) continue;
            if (!g.Initializers.TryGetValue(b.Bias, out var bias) || pw.ZeroPoints.Any(z => z != 0)) continue;
            var values = QdqParams.Floats(bias);
            if (pw.Scales.Length != 1 && pw.Scales.Length != values.Length) continue;
            var scales = (float[])pw.Scales.Clone();
            double sx = px.Scales[0], widest = 1;
            for (int c = 0; c < values.Length; c++)
            {
                int k = scales.Length == 1 ? 0 : c;
                double need = Math.Abs((double)values[c]) / (sx * Limit);
                if (need <= scales[k]) continue;
                widest = Math.Max(widest, need / pw.Scales[k]);
                scales[k] = (float)(need * (1 + 1e-6));
                if (plan.Weights.TryGetValue(b.Weight, out var mark) && mark.Config.ScaleFormat == ScaleFormat.E8M0)
                    scales[k] = WeightScales.PowerOfTwoAtLeast(scales[k]);
            }
            if (widest == 1) continue;
            p.Weights[b.Weight] = new QuantParams(pw.Format, pw.Granularity, scales, pw.ZeroPoints, pw.ScaleShape);
            plan.Warnings.Add($"{b.Node.DisplayName}: weight scales of '{b.Weight}' widened up to {widest:0.##}× so the int32 bias '{b.Bias}' " +
                $"fits at scale s_x·s_w (≈ {Math.Log2(widest):0.#} bit of weight resolution)");
        }
    }
}
