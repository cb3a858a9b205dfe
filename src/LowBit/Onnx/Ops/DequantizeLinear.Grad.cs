using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of DequantizeLinear y = (q − z)·s, for quantization-aware training: dq = dY·s (a float32 gradient for the
/// integer q, consumed by QuantizeLinear's straight-through backward) and dS = Σ dY·(q − z) over the elements that use
/// each scale (see <see cref="QuantizeLinearGrad"/> for the pair). Zero points get no gradient.
/// </summary>
internal static class DequantizeLinearGrad
{
    [Grad("DequantizeLinear", 10)]
    [Grad("DequantizeLinear", 1, "com.microsoft")]
    public static Tensor?[] DequantizeLinear(GradContext ctx, Tensor x, Tensor x_scale, Tensor? x_zero_point = null, long axis = 1,
        long block_size = 0)
    {
        var layout = QuantLayout.Of(x.Shape, x_scale, axis, block_size);
        var q = Values(x);
        var s = QuantMath.ReadFloats(x_scale);
        var z = x_zero_point is null ? null : Values(x_zero_point);
        var dy = Elementwise.ToFloat32(ctx.OutputGrad()).AsReadOnlySpan<float>();
        var dq = ctx.Needs(0) ? new float[x.Length] : null;
        var ds = ctx.Needs(1) ? new double[s.Length] : null;
        for (int o = 0, i = 0; o < layout.Outer; o++)
            for (int a = 0; a < layout.AxisLen; a++)
            {
                int pb = o * layout.StrideO + a / layout.Block * layout.StrideA;
                for (int k = 0; k < layout.Inner; k++, i++)
                {
                    int p = pb + k * layout.StrideI;
                    if (dq is not null) dq[i] = dy[i] * s[p];
                    if (ds is not null) ds[p] += dy[i] * (q[i] - (z is null ? 0 : z[p]));
                }
            }
        return [dq is null ? null : Tensor.FromArray(dq, x.Shape),
            ds is null ? null : GradElementwise.Pass(x_scale, Tensor.FromArray(ds.Select(v => (float)v).ToArray(), x_scale.Shape)), null];
    }

    /// <summary>Codes as floats: integers exactly (|q| &lt; 2²⁴ for the ≤ 16-bit types), float8/float4 decoded.</summary>
    private static float[] Values(Tensor t) =>
        t.DType.IsFloat() || QuantMath.IsSmallFloat(t.DType) ? QuantMath.ReadFloats(t) : QuantMath.ReadInts(t).Select(v => (float)v).ToArray();
}
