using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of QuantizeLinear for quantization-aware training (fake quantization = QuantizeLinear → DequantizeLinear).
/// q = clamp(round(x/s) + z, qmin, qmax) is piecewise constant, so the straight-through estimator (Bengio et al. 2013)
/// takes d round(v)/dv = 1 inside the range: dX = dq/s where qmin ≤ round(x/s) + z ≤ qmax, else 0 (float8/float4 outputs:
/// no range mask). The scale gets the LSQ term (Esser et al. 2020) dS = Σ dq·(−x/s²) over the elements inside the range
/// that use it; with DequantizeLinear's dS = Σ dY·(q − z) the pair's total is LSQ's Σ dY·(round(x/s) − x/s) inside and
/// Σ dY·(qmin|qmax − z) outside (LSQ's gradient scale factor is left to the optimizer). Zero points get no gradient.
/// </summary>
internal static class QuantizeLinearGrad
{
    [Grad("QuantizeLinear", 10)]
    [Grad("QuantizeLinear", 1, "com.microsoft")]
    public static Tensor?[] QuantizeLinear(GradContext ctx, Tensor x, Tensor y_scale, Tensor? y_zero_point = null, long axis = 1,
        long block_size = 0, long output_dtype = 0)
    {
        if (!x.DType.IsFloat()) return [null, null, null];
        var outType = ctx.Outputs[0]!.DType;
        bool ranged = !QuantMath.IsSmallFloat(outType);
        var (min, max) = ranged ? QuantMath.Range(outType) : (0, 0);
        var layout = QuantLayout.Of(x.Shape, y_scale, axis, block_size);
        var xs = QuantMath.ReadFloats(x);
        var s = QuantMath.ReadFloats(y_scale);
        var z = y_zero_point is null || !ranged ? null : QuantMath.ReadInts(y_zero_point);
        var dq = Elementwise.ToFloat32(ctx.OutputGrad()).AsReadOnlySpan<float>();
        var dx = ctx.Needs(0) ? new float[x.Length] : null;
        var ds = ctx.Needs(1) ? new double[s.Length] : null;
        for (int o = 0, i = 0; o < layout.Outer; o++)
            for (int a = 0; a < layout.AxisLen; a++)
            {
                int pb = o * layout.StrideO + a / layout.Block * layout.StrideA;
                for (int k = 0; k < layout.Inner; k++, i++)
                {
                    int p = pb + k * layout.StrideI;
                    float v = MathF.Round(xs[i] / s[p], MidpointRounding.ToEven) + (z is null ? 0 : z[p]);
                    if (ranged && !(v >= min && v <= max)) continue;
                    if (dx is not null) dx[i] = dq[i] / s[p];
                    if (ds is not null) ds[p] -= dq[i] * xs[i] / ((double)s[p] * s[p]);
                }
            }
        return [dx is null ? null : GradElementwise.Pass(x, Tensor.FromArray(dx, x.Shape)),
            ds is null ? null : GradElementwise.Pass(y_scale, Tensor.FromArray(ds.Select(v => (float)v).ToArray(), y_scale.Shape)), null];
    }
}
