using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// com.microsoft DynamicQuantizeMatMul and MatMulIntegerToFloat (ONNX Runtime contrib ops):
/// <c>Y = (a − a_zp)(b − b_zp) · (a_scale · b_scale[n]) + bias[n]</c>, the product accumulated exactly in int32 and
/// scaled in float32. DynamicQuantizeMatMul first quantizes the float A to uint8 exactly as DynamicQuantizeLinear does.
/// B's scale and zero point are per-tensor or per-column (1-D of N).
/// </summary>
internal static class DynamicQuantizeMatMulOps
{
    [Op("DynamicQuantizeMatMul", 1, "com.microsoft")]
    public static Tensor DynamicQuantizeMatMul(Tensor A, Tensor B, Tensor b_scale, Tensor? b_zero_point = null, Tensor? bias = null)
    {
        if (A.DType != DType.Float32) throw new ArgumentException($"A must be float32, got {A.DType.Name()}");
        var a = A.AsSpan<float>();
        var (scale, zp) = DynamicQuantizeLinearOps.Parameters(a);
        var centered = new int[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            float q = MathF.Round(a[i] / scale, MidpointRounding.ToEven);
            centered[i] = QuantMath.RoundSaturate(float.IsNaN(q) ? zp : q + zp, 0, 255) - zp;
        }
        return ScaledProduct(A.Shape, centered, B, b_zero_point, scale, b_scale, bias);
    }

    [Op("MatMulIntegerToFloat", 1, "com.microsoft")]
    public static Tensor MatMulIntegerToFloat(Tensor A, Tensor B, Tensor a_scale, Tensor b_scale, Tensor? a_zero_point = null,
        Tensor? b_zero_point = null, Tensor? bias = null)
    {
        var a = IntegerMatMul.Centered(A, a_zero_point, "A", oneDimIsPerRow: false);
        return ScaledProduct(A.Shape, a, B, b_zero_point, QuantMath.ScalarFloat(a_scale, "a_scale"), b_scale, bias);
    }

    private static Tensor ScaledProduct(int[] aShape, int[] a, Tensor B, Tensor? bZeroPoint, float aScale, Tensor bScale, Tensor? bias)
    {
        var s = MatMulShape.Resolve(aShape, B.Shape);
        var acc = IntegerMatMul.Run(s, a, IntegerMatMul.Centered(B, bZeroPoint, "B", oneDimIsPerRow: false));
        var bs = QuantMath.ReadFloats(bScale);
        if (bs.Length != 1 && bs.Length != s.N) throw new ArgumentException($"b_scale must be a scalar or have {s.N} entries, got {bScale.ShapeString}");
        var b = bias is null ? null : QuantMath.ReadFloats(bias);
        if (b is not null && b.Length != s.N) throw new ArgumentException($"bias must have {s.N} entries, got {bias!.ShapeString}");
        var mult = new float[s.N];
        for (int n = 0; n < s.N; n++) mult[n] = aScale * bs[bs.Length == 1 ? 0 : n];
        var y = new float[acc.Length];
        for (int i = 0; i < acc.Length; i++)
        {
            int n = i % s.N;
            y[i] = acc[i] * mult[n] + (b?[n] ?? 0f);
        }
        return Tensor.FromArray(y, s.OutShape);
    }
}
