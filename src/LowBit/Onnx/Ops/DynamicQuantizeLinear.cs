using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// DynamicQuantizeLinear (uint8): with lo = min(0, min x), hi = max(0, max x) (so 0 is exactly representable),
/// <c>y_scale = (hi − lo) / 255</c>, <c>y_zero_point = round_half_even(clamp(0 − lo / y_scale, 0, 255))</c>,
/// <c>y = saturate(round_half_even(x / y_scale) + y_zero_point)</c>, all in float32. An all-zero x (hi = lo) would
/// divide by zero; like ONNX Runtime, the scale is then 1 (and y = 0, zero point 0).
/// </summary>
internal static class DynamicQuantizeLinearOps
{
    [Op("DynamicQuantizeLinear", 11)]
    public static Tensor?[] DynamicQuantizeLinear(Tensor x)
    {
        var xs = x.DType == DType.Float32 ? x.AsSpan<float>() : QuantMath.ReadFloats(x);
        var (scale, zp) = Parameters(xs);
        var codes = new int[xs.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            float q = MathF.Round(xs[i] / scale, MidpointRounding.ToEven);
            codes[i] = QuantMath.RoundSaturate(float.IsNaN(q) ? zp : q + zp, 0, 255);
        }
        var y = QuantMath.WriteInts(DType.UInt8, x.Shape, codes);
        return [y, Tensor.FromArray(new[] { scale }), Tensor.FromArray(new[] { (byte)zp })];
    }

    /// <summary>(y_scale, y_zero_point) of the uint8 dynamic quantization of <paramref name="x"/>.</summary>
    public static (float Scale, int ZeroPoint) Parameters(ReadOnlySpan<float> x)
    {
        float lo = 0, hi = 0;
        foreach (float v in x)
        {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        float scale = hi == lo ? 1f : (hi - lo) / 255f;
        int zp = QuantMath.RoundSaturate(0f - lo / scale, 0, 255);
        return (scale, zp);
    }
}
