using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// MatMulInteger and QLinearMatMul: numpy.matmul of (a − a_zp)(b − b_zp) accumulated exactly in int32 (see
/// <see cref="IntegerMatMul"/>). Zero points and scales of A are per-tensor or per-row (1-D of M), those of B per-tensor
/// or per-column (1-D of N). QLinearMatMul requantizes <c>y = saturate(round_half_even(acc · M_mn) + y_zp)</c> with
/// the float32 multiplier <c>M_mn = a_scale[m] · b_scale[n] / y_scale</c> in that order (ONNX Runtime's).
/// </summary>
internal static class IntegerOps
{
    [Op("MatMulInteger", 10)]
    public static Tensor MatMulInteger(Tensor A, Tensor B, Tensor? a_zero_point = null, Tensor? b_zero_point = null)
    {
        var s = MatMulShape.Resolve(A.Shape, B.Shape);
        var acc = IntegerMatMul.Run(s, IntegerMatMul.Centered(A, a_zero_point, "A", oneDimIsPerRow: true),
            IntegerMatMul.Centered(B, b_zero_point, "B", oneDimIsPerRow: false));
        return Tensor.FromArray(acc, s.OutShape);
    }

    [Op("QLinearMatMul", 10)]
    public static Tensor QLinearMatMul(Tensor a, Tensor a_scale, Tensor a_zero_point, Tensor b, Tensor b_scale, Tensor b_zero_point,
        Tensor y_scale, Tensor y_zero_point)
    {
        var s = MatMulShape.Resolve(a.Shape, b.Shape);
        var acc = IntegerMatMul.Run(s, IntegerMatMul.Centered(a, a_zero_point, "a", oneDimIsPerRow: true),
            IntegerMatMul.Centered(b, b_zero_point, "b", oneDimIsPerRow: false));
        var aS = PerIndex(a_scale, s.M, "a_scale (per row)");
        var bS = PerIndex(b_scale, s.N, "b_scale (per column)");
        float yS = QuantMath.ScalarFloat(y_scale, "y_scale");
        if (y_zero_point.Length != 1) throw new ArgumentException($"y_zero_point must be a scalar, got {y_zero_point.ShapeString}");
        int yzp = QuantMath.ReadInts(y_zero_point)[0];
        var (min, max) = QuantMath.Range(y_zero_point.DType);
        var mult = new float[s.M * s.N];
        for (int m = 0; m < s.M; m++)
            for (int n = 0; n < s.N; n++)
                mult[m * s.N + n] = aS[aS.Length == 1 ? 0 : m] * bS[bS.Length == 1 ? 0 : n] / yS;
        var codes = new int[acc.Length];
        int plane = s.M * s.N;
        for (int i = 0; i < acc.Length; i++)
            codes[i] = QuantMath.RoundSaturate(acc[i] * mult[i % plane], min - yzp, max - yzp) + yzp;
        return QuantMath.WriteInts(y_zero_point.DType, s.OutShape, codes);
    }

    private static float[] PerIndex(Tensor t, int count, string what)
    {
        var v = QuantMath.ReadFloats(t);
        if (v.Length != 1 && v.Length != count) throw new ArgumentException($"{what} must be a scalar or have {count} entries, got {t.ShapeString}");
        return v;
    }
}
