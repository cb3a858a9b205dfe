using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// QLinearConv and ConvInteger: exact int32 accumulation of (x − x_zp)(w − w_zp) (see <see cref="IntegerConv"/>), with
/// per-tensor or per-output-channel weight zero points and scales. QLinearConv requantizes
/// <c>y = saturate(round_half_even((acc + B[m]) · M_m) + y_zp)</c> with the float32 multiplier
/// <c>M_m = x_scale · w_scale[m] / y_scale</c> evaluated in that order, as ONNX Runtime does.
/// </summary>
internal static class QLinearConvOps
{
    [Op("QLinearConv", 10)]
    public static Tensor QLinearConv(Tensor x, Tensor x_scale, Tensor x_zero_point, Tensor w, Tensor w_scale, Tensor w_zero_point,
        Tensor y_scale, Tensor? y_zero_point = null, Tensor? B = null, string auto_pad = "NOTSET", long[]? dilations = null,
        long group = 1, long[]? kernel_shape = null, long[]? pads = null, long[]? strides = null)
    {
        var g = ConvGeometry.Resolve(x.Shape, w.Shape, auto_pad, dilations, group, kernel_shape, pads, strides);
        var xc = Centered(x, x_zero_point, "x");
        var wc = CenteredWeights(w, w_zero_point, g.M);
        float xs = QuantMath.ScalarFloat(x_scale, "x_scale"), ys = QuantMath.ScalarFloat(y_scale, "y_scale");
        var ws = QuantMath.ReadFloats(w_scale);
        if (ws.Length != 1 && ws.Length != g.M) throw new ArgumentException($"w_scale must be a scalar or have {g.M} entries, got {w_scale.ShapeString}");
        var multiplier = new float[g.M];
        for (int m = 0; m < g.M; m++) multiplier[m] = xs * ws[ws.Length == 1 ? 0 : m] / ys;
        var outType = y_zero_point?.DType ?? x.DType;
        int yzp = y_zero_point is null ? 0 : QuantMath.ReadInts(y_zero_point) is var z && z.Length == 1 ? z[0]
            : throw new ArgumentException($"y_zero_point must be a scalar, got {y_zero_point.ShapeString}");
        var (min, max) = QuantMath.Range(outType);
        var bias = Bias(B, g.M);

        var codes = new int[Tensor.ElementCount(g.OutShape)];
        int outSize = g.OutSize;
        IntegerConv.Run(g, xc, wc, (n, m, acc) =>
        {
            int b = bias?[m] ?? 0;
            float mult = multiplier[m];
            int o = (n * g.M + m) * outSize;
            for (int p = 0; p < acc.Length; p++)
                codes[o + p] = QuantMath.RoundSaturate((float)(acc[p] + b) * mult, min - yzp, max - yzp) + yzp;
        });
        return QuantMath.WriteInts(outType, g.OutShape, codes);
    }

    [Op("ConvInteger", 10)]
    public static Tensor ConvInteger(Tensor x, Tensor w, Tensor? x_zero_point = null, Tensor? w_zero_point = null, string auto_pad = "NOTSET",
        long[]? dilations = null, long group = 1, long[]? kernel_shape = null, long[]? pads = null, long[]? strides = null)
    {
        var g = ConvGeometry.Resolve(x.Shape, w.Shape, auto_pad, dilations, group, kernel_shape, pads, strides);
        var xc = Centered(x, x_zero_point, "x");
        var wc = CenteredWeights(w, w_zero_point, g.M);
        var y = Tensor.Empty(DType.Int32, g.OutShape);
        var data = (int[])y.Data;
        int outSize = g.OutSize;
        IntegerConv.Run(g, xc, wc, (n, m, acc) => Array.Copy(acc, 0, data, (n * g.M + m) * outSize, outSize));
        return y;
    }

    /// <summary>x − x_zp as int (x_zp per-tensor).</summary>
    internal static int[] Centered(Tensor x, Tensor? zeroPoint, string name)
    {
        CheckEightBit(x, name);
        var v = QuantMath.ReadInts(x);
        if (zeroPoint is null) return v;
        if (zeroPoint.DType != x.DType) throw new ArgumentException($"{name}_zero_point type {zeroPoint.DType.Name()} differs from {name} type {x.DType.Name()}");
        if (zeroPoint.Length != 1) throw new ArgumentException($"{name}_zero_point must be a scalar, got {zeroPoint.ShapeString}");
        int zp = QuantMath.ReadInts(zeroPoint)[0];
        if (zp != 0) for (int i = 0; i < v.Length; i++) v[i] -= zp;
        return v;
    }

    /// <summary>w − w_zp[m] as int, w_zp per-tensor or per output channel (dim 0).</summary>
    internal static int[] CenteredWeights(Tensor w, Tensor? zeroPoint, int m)
    {
        CheckEightBit(w, "w");
        var v = QuantMath.ReadInts(w);
        if (zeroPoint is null) return v;
        if (zeroPoint.DType != w.DType) throw new ArgumentException($"w_zero_point type {zeroPoint.DType.Name()} differs from w type {w.DType.Name()}");
        var z = QuantMath.ReadInts(zeroPoint);
        if (z.Length != 1 && (z.Length != m || zeroPoint.Rank != 1))
            throw new ArgumentException($"w_zero_point must be a scalar or 1-D with {m} entries, got {zeroPoint.ShapeString}");
        int per = v.Length / Math.Max(1, m);
        for (int i = 0; i < v.Length; i++) v[i] -= z[z.Length == 1 ? 0 : i / per];
        return v;
    }

    private static int[]? Bias(Tensor? b, int m)
    {
        if (b is null) return null;
        if (b.DType != DType.Int32 || b.Length != m) throw new ArgumentException($"B must be int32 with {m} entries, got {b.DType.Name()} {b.ShapeString}");
        return b.AsSpan<int>().ToArray();
    }

    private static void CheckEightBit(Tensor t, string name)
    {
        if (t.DType is not (DType.Int8 or DType.UInt8)) throw new ArgumentException($"{name} must be int8 or uint8, got {t.DType.Name()}");
    }
}
