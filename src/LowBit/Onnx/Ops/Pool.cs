using System.Numerics;
using LowBit.Kernels;
using LowBit.Kernels.Pool;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>MaxPool, AveragePool, LpPool and their global forms over N-D inputs [N, C, spatial…], one plane per (n, c),
/// planes split across threads.</summary>
internal static class PoolOps
{
    /// <summary>MaxPool (storage_order and the Indices output from opset 8, ceil_mode/dilations from 10, int8/uint8 from 12).</summary>
    [Op("MaxPool", 1)]
    public static Tensor?[] MaxPool(OpContext ctx, Tensor x, string auto_pad = "NOTSET", long ceil_mode = 0, long[]? dilations = null,
        long[]? kernel_shape = null, long[]? pads = null, long storage_order = 0, long[]? strides = null)
    {
        var spec = Spec(x, auto_pad, ceil_mode, dilations, kernel_shape, pads, strides);
        if (storage_order is not (0 or 1)) throw new ArgumentException($"storage_order must be 0 or 1, got {storage_order}");
        var y = Tensor.Empty(x.DType, OutShape(x, spec));
        var idx = ctx.WantsOutput(1) ? Tensor.Empty(DType.Int64, y.Shape) : null;
        var shape = spec.ToPoolShape();
        bool colMajor = storage_order == 1;
        switch (x.DType)
        {
            case DType.Float32: Max<float>(x, y, idx, shape, colMajor); break;
            case DType.Float64: Max<double>(x, y, idx, shape, colMajor); break;
            case DType.Float16: Max<Half>(x, y, idx, shape, colMajor); break;
            case DType.Int8: Max<sbyte>(x, y, idx, shape, colMajor); break;
            case DType.UInt8: Max<byte>(x, y, idx, shape, colMajor); break;
            default: throw new ArgumentException($"MaxPool does not take {x.DType.Name()}");
        }
        return [y, idx];
    }

    /// <summary>AveragePool (count_include_pad from opset 7, ceil_mode from 10, dilations from 19).</summary>
    [Op("AveragePool", 1)]
    public static Tensor AveragePool(Tensor x, string auto_pad = "NOTSET", long ceil_mode = 0, long count_include_pad = 0,
        long[]? dilations = null, long[]? kernel_shape = null, long[]? pads = null, long[]? strides = null)
    {
        var spec = Spec(x, auto_pad, ceil_mode, dilations, kernel_shape, pads, strides);
        var shape = spec.ToPoolShape();
        bool include = count_include_pad != 0;
        return Reduce(x, spec, (xs, ys) => Pooling.Average(xs, shape, include, ys), (xs, ys) => Pooling.Average(xs, shape, include, ys));
    }

    /// <summary>LpPool: p was a float before opset 2, an int after; ceil_mode and dilations from opset 18.</summary>
    [Op("LpPool", 1)]
    public static Tensor LpPool(Tensor x, string auto_pad = "NOTSET", long ceil_mode = 0, long[]? dilations = null,
        long[]? kernel_shape = null, float p = 2f, long[]? pads = null, long[]? strides = null)
    {
        var spec = Spec(x, auto_pad, ceil_mode, dilations, kernel_shape, pads, strides);
        var shape = spec.ToPoolShape();
        return Reduce(x, spec, (xs, ys) => Pooling.Lp(xs, shape, p, ys), (xs, ys) => Pooling.Lp(xs, shape, p, ys));
    }

    [Op("GlobalAveragePool", 1)]
    public static Tensor GlobalAveragePool(Tensor x) => Global(x, "avg", 0);

    [Op("GlobalMaxPool", 1)]
    public static Tensor GlobalMaxPool(Tensor x) => Global(x, "max", 0);

    [Op("GlobalLpPool", 1)]
    public static Tensor GlobalLpPool(Tensor x, float p = 2f) => Global(x, "lp", p);

    /// <summary>A window covering each whole plane: the global pools reuse the windowed kernels.</summary>
    private static Tensor Global(Tensor x, string kind, float p)
    {
        if (x.Rank < 3) throw new ArgumentException($"global pooling needs [N, C, spatial…], got {x.ShapeString}");
        var spatial = x.Shape[2..];
        var ones = Enumerable.Repeat(1L, spatial.Length).ToArray();
        var spec = WindowSpec.Forward(spatial, spatial, "VALID", ones, null, ones);
        var shape = spec.ToPoolShape();
        return kind switch
        {
            "max" => MaxGlobal(x, spec, shape),
            "avg" => Reduce(x, spec, (xs, ys) => Pooling.Average(xs, shape, false, ys), (xs, ys) => Pooling.Average(xs, shape, false, ys)),
            _ => Reduce(x, spec, (xs, ys) => Pooling.Lp(xs, shape, p, ys), (xs, ys) => Pooling.Lp(xs, shape, p, ys)),
        };
    }

    private static Tensor MaxGlobal(Tensor x, WindowSpec spec, PoolShape shape)
    {
        var y = Tensor.Empty(x.DType, OutShape(x, spec));
        switch (x.DType)
        {
            case DType.Float32: Max<float>(x, y, null, shape, false); break;
            case DType.Float64: Max<double>(x, y, null, shape, false); break;
            case DType.Float16: Max<Half>(x, y, null, shape, false); break;
            default: throw new ArgumentException($"GlobalMaxPool does not take {x.DType.Name()}");
        }
        return y;
    }

    private static WindowSpec Spec(Tensor x, string autoPad, long ceilMode, long[]? dilations, long[]? kernelShape, long[]? pads, long[]? strides)
    {
        if (x.Rank < 3) throw new ArgumentException($"pooling needs [N, C, spatial…], got {x.ShapeString}");
        if (kernelShape is null) throw new ArgumentException("kernel_shape is required");
        var spatial = x.Shape[2..];
        if (kernelShape.Length != spatial.Length) throw new ArgumentException($"kernel_shape has {kernelShape.Length} dims, input has {spatial.Length} spatial dims");
        var kernel = kernelShape.Select(k => k < 1 || k > int.MaxValue ? throw new ArgumentException("kernel_shape must be positive") : (int)k).ToArray();
        return WindowSpec.Forward(spatial, kernel, autoPad, dilations, pads, strides, ceilMode != 0);
    }

    private static int[] OutShape(Tensor x, WindowSpec spec) => [x.Shape[0], x.Shape[1], .. spec.Output];

    private static void Max<T>(Tensor x, Tensor y, Tensor? idx, PoolShape s, bool colMajor) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        int planes = x.Shape[0] * x.Shape[1];
        Parallelism.ForRange(planes, MinPlanes(s), (p0, p1) =>
        {
            var xs = x.AsReadOnlySpan<T>();
            var ys = y.AsSpan<T>();
            for (int pl = p0; pl < p1; pl++)
                Pooling.Max(xs.Slice(pl * s.InputSize, s.InputSize), s, ys.Slice(pl * s.OutputSize, s.OutputSize),
                    idx is null ? default : idx.AsSpan<long>().Slice(pl * s.OutputSize, s.OutputSize), (long)pl * s.InputSize, colMajor);
        });
    }

    private delegate void PlaneOp<T>(ReadOnlySpan<T> x, Span<T> y);

    /// <summary>Runs a float pooling per plane: float32 and double natively, float16/bfloat16 through float32.</summary>
    private static Tensor Reduce(Tensor x, WindowSpec spec, PlaneOp<float> f, PlaneOp<double> d)
    {
        if (x.DType is DType.Float16 or DType.BFloat16)
            return Elementwise.FromFloat32(Reduce(Elementwise.ToFloat32(x), spec, f, d), x.DType);
        var y = Tensor.Empty(x.DType, OutShape(x, spec));
        int planes = x.Shape[0] * x.Shape[1], inSize = spec.InputSize, outSize = spec.OutputSize;
        var shape = spec.ToPoolShape();
        Parallelism.ForRange(planes, MinPlanes(shape), (p0, p1) =>
        {
            for (int pl = p0; pl < p1; pl++)
            {
                if (x.DType == DType.Float32)
                    f(x.AsReadOnlySpan<float>().Slice(pl * inSize, inSize), y.AsSpan<float>().Slice(pl * outSize, outSize));
                else if (x.DType == DType.Float64)
                    d(x.AsReadOnlySpan<double>().Slice(pl * inSize, inSize), y.AsSpan<double>().Slice(pl * outSize, outSize));
                else throw new ArgumentException($"pooling does not take {x.DType.Name()}");
            }
        });
        return y;
    }

    /// <summary>Planes per task so each task does at least ~32K window reads (thread hand-off costs microseconds).</summary>
    private static int MinPlanes(PoolShape s) =>
        Math.Max(1, 32768 / Math.Max(1, s.OutputSize * s.Kernel.Aggregate(1, (a, b) => a * b)));
}
