using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// QuantizeLinear: <c>y = saturate(round_half_even(x / y_scale) + y_zero_point)</c>, x / y_scale computed in float32
/// (as ONNX Runtime does, so ties land identically). Float8/float4 outputs instead cast <c>x / y_scale + zp</c> with
/// round-to-nearest-even, clamping to ±max when <c>saturate</c> is set. Per-tensor, per-axis and (opset 21) blocked
/// scales, see <see cref="QuantLayout"/>. The output type is the zero point's, else <c>output_dtype</c>, else uint8.
/// </summary>
internal static class QuantizeLinearOps
{
    [Op("QuantizeLinear", 10)]
    public static Tensor QuantizeLinear10(Tensor x, Tensor y_scale, Tensor? y_zero_point = null) =>
        Quantize(x, y_scale, y_zero_point, axis: 1, saturate: true, blockSize: 0, outputDtype: 0);

    [Op("QuantizeLinear", 13)]
    public static Tensor QuantizeLinear13(Tensor x, Tensor y_scale, Tensor? y_zero_point = null, long axis = 1) =>
        Quantize(x, y_scale, y_zero_point, axis, saturate: true, blockSize: 0, outputDtype: 0);

    [Op("QuantizeLinear", 19)]
    public static Tensor QuantizeLinear19(Tensor x, Tensor y_scale, Tensor? y_zero_point = null, long axis = 1, long saturate = 1) =>
        Quantize(x, y_scale, y_zero_point, axis, saturate != 0, blockSize: 0, outputDtype: 0);

    /// <summary>Opset 21 adds blocked scales, int4/uint4 and <c>output_dtype</c>; the same method serves opset 23+
    /// (float4e2m1 output).</summary>
    [Op("QuantizeLinear", 21)]
    [Op("QuantizeLinear", 1, "com.microsoft")]
    public static Tensor QuantizeLinear21(Tensor x, Tensor y_scale, Tensor? y_zero_point = null, long axis = 1, long saturate = 1,
        long block_size = 0, long output_dtype = 0) =>
        Quantize(x, y_scale, y_zero_point, axis, saturate != 0, block_size, output_dtype);

    public static Tensor Quantize(Tensor x, Tensor scale, Tensor? zeroPoint, long axis, bool saturate, long blockSize, long outputDtype)
    {
        var outType = OutputType(zeroPoint, outputDtype);
        var layout = QuantLayout.Of(x.Shape, scale, axis, blockSize);
        QuantLayout.CheckZeroPoint(scale, zeroPoint);
        var xs = x.DType == DType.Float32 ? x.AsSpan<float>().ToArray() : QuantMath.ReadFloats(x);
        var s = QuantMath.ReadFloats(scale);

        if (QuantMath.IsSmallFloat(outType))
        {
            var zf = zeroPoint is null ? new float[1] : QuantMath.ReadFloats(zeroPoint);
            var y = outType == DType.Float4E2M1 ? Tensor.Zeros(outType, x.Shape) : Tensor.Empty(outType, x.Shape);
            var dst = y.AsSpan<byte>();
            var enc = SmallFloatEncoder.For(outType);
            for (int o = 0, i = 0; o < layout.Outer; o++)
                for (int a = 0; a < layout.AxisLen; a++)
                {
                    int pb = o * layout.StrideO + a / layout.Block * layout.StrideA;
                    for (int k = 0; k < layout.Inner; k++, i++)
                    {
                        int p = pb + k * layout.StrideI;
                        byte code = enc.Encode(xs[i] / s[p] + zf[zeroPoint is null ? 0 : p], saturate);
                        if (outType == DType.Float4E2M1) dst[i >> 1] |= (byte)((code & 0xF) << ((i & 1) << 2));
                        else dst[i] = code;
                    }
                }
            return y;
        }

        var (min, max) = QuantMath.Range(outType);
        var z = zeroPoint is null ? null : QuantMath.ReadInts(zeroPoint);
        var codes = new int[x.Length];
        for (int o = 0, i = 0; o < layout.Outer; o++)
            for (int a = 0; a < layout.AxisLen; a++)
            {
                int pb = o * layout.StrideO + a / layout.Block * layout.StrideA;
                for (int k = 0; k < layout.Inner; k++, i++)
                {
                    int p = pb + k * layout.StrideI;
                    int zp = z is null ? 0 : z[p];
                    // round(x/s) + zp, saturated; rounding first keeps ties at .5 independent of zp.
                    float q = MathF.Round(xs[i] / s[p], MidpointRounding.ToEven);
                    codes[i] = QuantMath.RoundSaturate(float.IsNaN(q) ? zp : q + zp, min, max);
                }
            }
        return QuantMath.WriteInts(outType, x.Shape, codes);
    }

    private static DType OutputType(Tensor? zeroPoint, long outputDtype)
    {
        if (outputDtype != 0 && !Enum.IsDefined((DType)outputDtype))
            throw new ArgumentException($"output_dtype {outputDtype} is not a known element type");
        var t = zeroPoint?.DType ?? (outputDtype != 0 ? (DType)outputDtype : DType.UInt8);
        if (zeroPoint is not null && outputDtype != 0 && (DType)outputDtype != t)
            throw new ArgumentException($"output_dtype {((DType)outputDtype).Name()} differs from the zero point's type {t.Name()}");
        if (!(QuantMath.IsSmallFloat(t) || t is DType.Int8 or DType.UInt8 or DType.Int16 or DType.UInt16 or DType.Int4 or DType.UInt4))
            throw new ArgumentException($"cannot quantize to {t.Name()}");
        return t;
    }
}
