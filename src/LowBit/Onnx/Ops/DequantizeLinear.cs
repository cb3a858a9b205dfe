using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// DequantizeLinear: <c>y = (x − x_zero_point) · x_scale</c>, with x − zp exact in integers (int64, so int32 inputs
/// cannot overflow), then converted to float32 and multiplied in float32 (ONNX Runtime's order); float8/float4 inputs are
/// decoded first. Per-tensor, per-axis and (opset 21) blocked scales, see <see cref="QuantLayout"/>. The output type is
/// the scale's (float32, float16, bfloat16) unless <c>output_dtype</c> (opset 23) says otherwise.
/// </summary>
internal static class DequantizeLinearOps
{
    [Op("DequantizeLinear", 10)]
    public static Tensor DequantizeLinear10(Tensor x, Tensor x_scale, Tensor? x_zero_point = null) =>
        Dequantize(x, x_scale, x_zero_point, axis: 1, blockSize: 0, outputDtype: 0);

    /// <summary>Opsets 13 and 19 (19 adds float8 inputs and float16/bfloat16 scales, handled here too).</summary>
    [Op("DequantizeLinear", 13)]
    public static Tensor DequantizeLinear13(Tensor x, Tensor x_scale, Tensor? x_zero_point = null, long axis = 1) =>
        Dequantize(x, x_scale, x_zero_point, axis, blockSize: 0, outputDtype: 0);

    [Op("DequantizeLinear", 21)]
    [Op("DequantizeLinear", 1, "com.microsoft")]
    public static Tensor DequantizeLinear21(Tensor x, Tensor x_scale, Tensor? x_zero_point = null, long axis = 1,
        long block_size = 0, long output_dtype = 0) =>
        Dequantize(x, x_scale, x_zero_point, axis, block_size, output_dtype);

    public static Tensor Dequantize(Tensor x, Tensor scale, Tensor? zeroPoint, long axis, long blockSize, long outputDtype)
    {
        if (zeroPoint is not null && zeroPoint.DType != x.DType)
            throw new ArgumentException($"zero point type {zeroPoint.DType.Name()} differs from x type {x.DType.Name()}");
        var outType = outputDtype != 0 ? (DType)outputDtype : scale.DType;
        var layout = QuantLayout.Of(x.Shape, scale, axis, blockSize);
        QuantLayout.CheckZeroPoint(scale, zeroPoint);
        var s = QuantMath.ReadFloats(scale);
        var y = new float[x.Length];

        if (QuantMath.IsSmallFloat(x.DType))
        {
            var xf = QuantMath.ReadFloats(x);
            var zf = zeroPoint is null ? null : QuantMath.ReadFloats(zeroPoint);
            for (int o = 0, i = 0; o < layout.Outer; o++)
                for (int a = 0; a < layout.AxisLen; a++)
                {
                    int pb = o * layout.StrideO + a / layout.Block * layout.StrideA;
                    for (int k = 0; k < layout.Inner; k++, i++)
                    {
                        int p = pb + k * layout.StrideI;
                        y[i] = (zf is null ? xf[i] : xf[i] - zf[p]) * s[p];
                    }
                }
        }
        else
        {
            var xi = QuantMath.ReadInts(x);
            var z = zeroPoint is null ? null : QuantMath.ReadInts(zeroPoint);
            for (int o = 0, i = 0; o < layout.Outer; o++)
                for (int a = 0; a < layout.AxisLen; a++)
                {
                    int pb = o * layout.StrideO + a / layout.Block * layout.StrideA;
                    for (int k = 0; k < layout.Inner; k++, i++)
                    {
                        int p = pb + k * layout.StrideI;
                        long d = z is null ? xi[i] : (long)xi[i] - z[p];
                        y[i] = (float)d * s[p];
                    }
                }
        }
        return QuantMath.WriteFloats(outType, x.Shape, y);
    }
}
