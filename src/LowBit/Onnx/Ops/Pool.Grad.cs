using LowBit.Kernels;
using LowBit.Kernels.Pool;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of MaxPool (the gradient goes to the window's maximum, recomputed from X: the first in scan order on ties,
/// as the forward picks it), AveragePool (dY/divisor spread over the window, with the forward's count_include_pad and
/// ceil_mode divisor) and GlobalAveragePool (dY/plane everywhere). Planes run in parallel.
/// </summary>
internal static class PoolGrad
{
    [Grad("MaxPool", 1)]
    public static Tensor?[] MaxPool(GradContext ctx, Tensor x, string auto_pad = "NOTSET", long ceil_mode = 0, long[]? dilations = null,
        long[]? kernel_shape = null, long[]? pads = null, long[]? strides = null)
    {
        if (!x.DType.IsFloat()) return [null];
        var shape = Spec(x, auto_pad, ceil_mode, dilations, kernel_shape, pads, strides).ToPoolShape();
        var x32 = Elementwise.ToFloat32(x);
        return [PerPlane(x, shape, ctx.OutputGrad(), (p, dy, dx) =>
            PoolingGrad.MaxBackward(x32.AsReadOnlySpan<float>().Slice(p * shape.InputSize, shape.InputSize), shape, dy, dx))];
    }

    [Grad("AveragePool", 1)]
    public static Tensor?[] AveragePool(GradContext ctx, Tensor x, string auto_pad = "NOTSET", long ceil_mode = 0, long count_include_pad = 0,
        long[]? dilations = null, long[]? kernel_shape = null, long[]? pads = null, long[]? strides = null)
    {
        var shape = Spec(x, auto_pad, ceil_mode, dilations, kernel_shape, pads, strides).ToPoolShape();
        bool include = count_include_pad != 0;
        return [PerPlane(x, shape, ctx.OutputGrad(), (_, dy, dx) => PoolingGrad.AverageBackward(shape, include, dy, dx))];
    }

    /// <summary>dX[n, c, ·] = dY[n, c] / plane.</summary>
    [Grad("GlobalAveragePool", 1)]
    public static Tensor?[] GlobalAveragePool(GradContext ctx, Tensor x)
    {
        if (x.Rank < 3) throw new ArgumentException($"global pooling needs [N, C, spatial…], got {x.ShapeString}");
        int planes = x.Shape[0] * x.Shape[1], plane = planes == 0 ? 0 : x.Length / planes;
        var dy = Elementwise.ToFloat32(ctx.OutputGrad());
        var dx = Tensor.Empty(DType.Float32, x.Shape);
        float[] g = (float[])dy.Data, d = (float[])dx.Data;
        float inv = 1f / Math.Max(1, plane);
        Elementwise.Split(dx.Length, (s, e) =>
        {
            for (int p = s / Math.Max(1, plane); p * plane < e; p++)
            {
                int lo = Math.Max(s, p * plane), hi = Math.Min(e, (p + 1) * plane);
                d.AsSpan(lo, hi - lo).Fill(g[p] * inv);
            }
        });
        return [x.DType == DType.Float32 ? dx : Elementwise.Cast(dx, x.DType)];
    }

    private static WindowSpec Spec(Tensor x, string autoPad, long ceilMode, long[]? dilations, long[]? kernelShape, long[]? pads, long[]? strides)
    {
        if (x.Rank < 3) throw new ArgumentException($"pooling needs [N, C, spatial…], got {x.ShapeString}");
        if (kernelShape is null) throw new ArgumentException("kernel_shape is required");
        return WindowSpec.Forward(x.Shape[2..], kernelShape.Select(k => (int)k).ToArray(), autoPad, dilations, pads, strides, ceilMode != 0);
    }

    private delegate void PlaneGrad(int plane, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>Runs a plane backward for every (n, c) plane; at least ~32K input elements per task.</summary>
    private static Tensor PerPlane(Tensor x, PoolShape s, Tensor dyIn, PlaneGrad body)
    {
        var dy = Elementwise.ToFloat32(dyIn);
        var dx = Tensor.Empty(DType.Float32, x.Shape);
        int planes = x.Shape[0] * x.Shape[1];
        Parallelism.ForRange(planes, Math.Max(1, 32768 / Math.Max(1, s.InputSize)), (p0, p1) =>
        {
            var g = dy.AsReadOnlySpan<float>();
            var d = dx.AsSpan<float>();
            for (int p = p0; p < p1; p++)
                body(p, g.Slice(p * s.OutputSize, s.OutputSize), d.Slice(p * s.InputSize, s.InputSize));
        });
        return x.DType == DType.Float32 ? dx : Elementwise.Cast(dx, x.DType);
    }
}
