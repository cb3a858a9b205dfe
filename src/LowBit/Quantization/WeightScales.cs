namespace LowBit.Quantization;

/// <summary>
/// How weight scales themselves are represented (<see cref="WeightQuantConfig.ScaleFormat"/>). The exported file keeps
/// float32 scales in every case; the other formats constrain their values so that a runtime with that scale encoding
/// would reproduce them exactly, and LowBit and ONNX Runtime compute with the same numbers.
/// <list type="bullet">
/// <item><see cref="Float32"/>: any float (the range method's scale as is).</item>
/// <item><see cref="E8M0"/>: a power of two, 2^⌈log2 s⌉ (OCP Microscaling 1.0 shared scale, 8 exponent bits, no
/// mantissa). Rounded up so that the value the range method put at the grid end still fits: with s' ≥ s every
/// |x| ≤ s·max|grid| satisfies |x/s'| ≤ max|grid|, no code saturates (rounding to nearest could shrink s by up to 2^−½
/// and clip the block's largest weights by up to 41 %). With group:32 this is the MX block: fp4 → MXFP4, int8 → MXINT8.</item>
/// <item><see cref="Int8"/>: double quantization (QLoRA, Dettmers et al. 2023): consecutive runs of 256 scales (row-major
/// in the ONNX scale layout) are coded as uint8 with one float32 step and offset per run, and the weights are coded
/// against the dequantized scales.</item>
/// </list>
/// </summary>
public enum ScaleFormat { Float32, E8M0, Int8 }

/// <summary>The scale transforms of <see cref="ScaleFormat"/>.</summary>
internal static class WeightScales
{
    /// <summary>Scales per double-quantization run (QLoRA's block of 256 first-level constants).</summary>
    public const int DoubleQuantBlock = 256;

    /// <summary>Bits each scale costs in the format's own encoding (the exported file stores float32 regardless).</summary>
    public static int Bits(ScaleFormat f) => f == ScaleFormat.Float32 ? 32 : 8;

    /// <summary><paramref name="q"/> with its scales in format <paramref name="f"/> (zero points kept: for E8M0 s' ≥ s
    /// so the covered range s'·[qmin − z, qmax − z] contains the chosen one).</summary>
    public static QuantParams Apply(QuantParams q, ScaleFormat f)
    {
        if (f == ScaleFormat.Float32) return q;
        var scales = f == ScaleFormat.E8M0 ? q.Scales.Select(PowerOfTwoAtLeast).ToArray() : DoubleQuantize(q.Scales);
        return new QuantParams(q.Format, q.Granularity, scales, q.ZeroPoints, q.ScaleShape);
    }

    /// <summary>2^⌈log2 s⌉ for finite s &gt; 0, computed on the float32 bits (exact: an s with a zero mantissa is already a
    /// power of two and is returned unchanged, otherwise the exponent goes up by one and the mantissa is cleared);
    /// capped at 2^127, the largest E8M0 value. Subnormal s (below 2^−126) return 2^−126, which is ≥ s.</summary>
    public static float PowerOfTwoAtLeast(float s)
    {
        if (!(s > 0) || !float.IsFinite(s)) throw new ArgumentOutOfRangeException(nameof(s), s, "scale must be finite and > 0");
        int bits = BitConverter.SingleToInt32Bits(s);
        int exponent = (bits >> 23) & 0xFF, mantissa = bits & 0x7FFFFF;
        if (exponent == 0) return BitConverter.Int32BitsToSingle(1 << 23);
        if (mantissa != 0) exponent = Math.Min(exponent + 1, 254);
        return BitConverter.Int32BitsToSingle(exponent << 23);
    }

    /// <summary>
    /// Double quantization of positive scales, per run of <see cref="DoubleQuantBlock"/>: lo = min, d = (max − lo)/255,
    /// q = round((s − lo)/d) ∈ [0, 255], s' = lo + d·q (float32). |s' − s| ≤ d/2 (plus float32 rounding) and
    /// lo ≤ s' ≤ max, so every s' stays &gt; 0. QLoRA subtracts the run's mean and codes the residual symmetrically (its
    /// second-level code is FP8); with an affine uint8 code the offset lo keeps every dequantized scale inside the run's
    /// range (so positive) and its step (max − min)/255 is never coarser than the mean-centred symmetric step
    /// max|s − mean|/127.
    /// </summary>
    public static float[] DoubleQuantize(ReadOnlySpan<float> scales)
    {
        var result = new float[scales.Length];
        for (int start = 0; start < scales.Length; start += DoubleQuantBlock)
        {
            var run = scales.Slice(start, Math.Min(DoubleQuantBlock, scales.Length - start));
            float lo = float.PositiveInfinity, hi = 0;
            foreach (float s in run) { lo = Math.Min(lo, s); hi = Math.Max(hi, s); }
            float d = (hi - lo) / 255;
            for (int i = 0; i < run.Length; i++)
                result[start + i] = d > 0 ? lo + d * Math.Clamp(MathF.Round((run[i] - lo) / d, MidpointRounding.ToEven), 0, 255) : run[i];
        }
        return result;
    }
}
