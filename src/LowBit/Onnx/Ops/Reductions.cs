using System.Numerics;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Reduce* ops. Axes are an attribute before opset 13 (ReduceSum) or 18 (the others) and an optional int64 input
/// after, with <c>noop_with_empty_axes</c>: empty axes reduce everything unless it is set (then the input passes through).
/// float16/bfloat16 reduce in float32; L2, LogSum and LogSumExp of integers compute in float64 and truncate.
/// </summary>
internal static class Reductions
{
    internal enum Kind { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare }

    [Op("ReduceSum", 13)]
    public static Tensor ReduceSum(Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) => FromInput(data, axes, keepdims, noop_with_empty_axes, Kind.Sum);
    [Op("ReduceSum", 1)]
    public static Tensor ReduceSumLegacy(Tensor data, long[]? axes = null, long keepdims = 1) => Run(data, axes ?? [], keepdims != 0, Kind.Sum);

    [Op("ReduceMean", 18)] public static Tensor ReduceMean(Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) => FromInput(data, axes, keepdims, noop_with_empty_axes, Kind.Mean);
    [Op("ReduceMax", 18)] public static Tensor ReduceMax(Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) => FromInput(data, axes, keepdims, noop_with_empty_axes, Kind.Max);
    [Op("ReduceMin", 18)] public static Tensor ReduceMin(Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) => FromInput(data, axes, keepdims, noop_with_empty_axes, Kind.Min);
    [Op("ReduceProd", 18)] public static Tensor ReduceProd(Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) => FromInput(data, axes, keepdims, noop_with_empty_axes, Kind.Prod);
    [Op("ReduceL1", 18)] public static Tensor ReduceL1(Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) => FromInput(data, axes, keepdims, noop_with_empty_axes, Kind.L1);
    [Op("ReduceL2", 18)] public static Tensor ReduceL2(Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) => FromInput(data, axes, keepdims, noop_with_empty_axes, Kind.L2);
    [Op("ReduceLogSum", 18)] public static Tensor ReduceLogSum(Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) => FromInput(data, axes, keepdims, noop_with_empty_axes, Kind.LogSum);
    [Op("ReduceLogSumExp", 18)] public static Tensor ReduceLogSumExp(Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) => FromInput(data, axes, keepdims, noop_with_empty_axes, Kind.LogSumExp);
    [Op("ReduceSumSquare", 18)] public static Tensor ReduceSumSquare(Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) => FromInput(data, axes, keepdims, noop_with_empty_axes, Kind.SumSquare);

    [Op("ReduceMean", 1)] public static Tensor ReduceMeanLegacy(Tensor data, long[]? axes = null, long keepdims = 1) => Run(data, axes ?? [], keepdims != 0, Kind.Mean);
    [Op("ReduceMax", 1)] public static Tensor ReduceMaxLegacy(Tensor data, long[]? axes = null, long keepdims = 1) => Run(data, axes ?? [], keepdims != 0, Kind.Max);
    [Op("ReduceMin", 1)] public static Tensor ReduceMinLegacy(Tensor data, long[]? axes = null, long keepdims = 1) => Run(data, axes ?? [], keepdims != 0, Kind.Min);
    [Op("ReduceProd", 1)] public static Tensor ReduceProdLegacy(Tensor data, long[]? axes = null, long keepdims = 1) => Run(data, axes ?? [], keepdims != 0, Kind.Prod);
    [Op("ReduceL1", 1)] public static Tensor ReduceL1Legacy(Tensor data, long[]? axes = null, long keepdims = 1) => Run(data, axes ?? [], keepdims != 0, Kind.L1);
    [Op("ReduceL2", 1)] public static Tensor ReduceL2Legacy(Tensor data, long[]? axes = null, long keepdims = 1) => Run(data, axes ?? [], keepdims != 0, Kind.L2);
    [Op("ReduceLogSum", 1)] public static Tensor ReduceLogSumLegacy(Tensor data, long[]? axes = null, long keepdims = 1) => Run(data, axes ?? [], keepdims != 0, Kind.LogSum);
    [Op("ReduceLogSumExp", 1)] public static Tensor ReduceLogSumExpLegacy(Tensor data, long[]? axes = null, long keepdims = 1) => Run(data, axes ?? [], keepdims != 0, Kind.LogSumExp);
    [Op("ReduceSumSquare", 1)] public static Tensor ReduceSumSquareLegacy(Tensor data, long[]? axes = null, long keepdims = 1) => Run(data, axes ?? [], keepdims != 0, Kind.SumSquare);

    private static Tensor FromInput(Tensor data, Tensor? axes, long keepdims, long noop, Kind kind)
    {
        var list = axes is null ? [] : axes.ToInt64Array();
        if (list.Length == 0 && noop != 0) return data;
        return Run(data, list, keepdims != 0, kind);
    }

    /// <summary>Reduces <paramref name="x"/> over <paramref name="axes"/> (empty = all).</summary>
    internal static Tensor Run(Tensor x, long[] axes, bool keepDims, Kind kind)
    {
        var ax = Elementwise.NormalizeAxes(axes, x.Rank);
        if (x.DType is DType.Float16 or DType.BFloat16)
            return Elementwise.ViaFloat32(x, f => Run(f, axes, keepDims, kind));
        if (kind is Kind.L2 or Kind.LogSum or Kind.LogSumExp && !x.DType.IsFloat())
        {
            var d = Elementwise.Cast(x, DType.Float64);
            var rd = Run(d, axes, keepDims, kind);
            Elementwise.Release(d, x);
            var back = Elementwise.Cast(rd, x.DType);
            Elementwise.Release(rd);
            return back;
        }
        if (x.DType == DType.Bool && kind is Kind.Max or Kind.Min)
        {
            var u8 = Elementwise.Cast(x, DType.UInt8);
            var ru8 = Run(u8, axes, keepDims, kind);
            Elementwise.Release(u8);
            var rb = Elementwise.Cast(ru8, DType.Bool);
            Elementwise.Release(ru8);
            return rb;
        }
        switch (kind)
        {
            case Kind.L1: return Consume(UnaryMath.Abs(x), t => Basic(t, ax, keepDims, Kind.Sum));
            case Kind.SumSquare: return Consume(Elementwise.Multiply(x, x), t => Basic(t, ax, keepDims, Kind.Sum));
            case Kind.L2: return Post(Run(x, axes, keepDims, Kind.SumSquare), sqrt: true);
            case Kind.LogSum: return Post(Basic(x, ax, keepDims, Kind.Sum), sqrt: false);
            case Kind.LogSumExp: return LogSumExp(x, ax, keepDims);
            case Kind.Mean:
            {
                var sum = Basic(x, ax, keepDims, Kind.Sum);
                long count = 1;
                foreach (int a in ax) count *= x.Shape[a];
                return DivideInPlace(sum, count);
            }
            default: return Basic(x, ax, keepDims, kind);
        }
    }

    /// <summary>log Σ eˣ = m + log Σ e^(x − m) with m the maximum (0 where the maximum is not finite).</summary>
    private static Tensor LogSumExp(Tensor x, int[] axes, bool keepDims)
    {
        var m = Basic(x, axes, keepDims: true, Kind.Max);
        if (x.DType == DType.Float32) { var s = m.AsSpan<float>(); for (int i = 0; i < s.Length; i++) if (!float.IsFinite(s[i])) s[i] = 0; }
        else { var s = m.AsSpan<double>(); for (int i = 0; i < s.Length; i++) if (!double.IsFinite(s[i])) s[i] = 0; }
        var shifted = Elementwise.Subtract(x, m);
        var e = UnaryMath.Exp(shifted);
        Elementwise.Release(shifted);
        var sum = Post(Basic(e, axes, keepDims: true, Kind.Sum), sqrt: false);
        Elementwise.Release(e);
        var r = Elementwise.Add(sum, m);
        Elementwise.Release(sum);
        Elementwise.Release(m);
        return keepDims ? r : r.Reshape(Elementwise.ReducedShape(x.Shape, axes, keepDims: false));
    }

    private static Tensor Consume(Tensor temp, Func<Tensor, Tensor> f)
    {
        var r = f(temp);
        Elementwise.Release(temp, r);
        return r;
    }

    /// <summary>√ or log in place on a fresh float result.</summary>
    private static Tensor Post(Tensor t, bool sqrt)
    {
        if (t.DType == DType.Float32) { var s = t.AsSpan<float>(); if (sqrt) TP.Sqrt(s, s); else TP.Log(s, s); }
        else { var s = t.AsSpan<double>(); if (sqrt) TP.Sqrt(s, s); else TP.Log(s, s); }
        return t;
    }

    private static Tensor DivideInPlace(Tensor t, long count)
    {
        switch (t.DType)
        {
            case DType.Float32: { var s = t.AsSpan<float>(); TP.Divide(s, (float)count, s); break; }
            case DType.Float64: { var s = t.AsSpan<double>(); TP.Divide(s, (double)count, s); break; }
            default: if (count != 0) for (int i = 0; i < t.Length; i++) t.SetDouble(i, (double)(t.GetInt64(i) / count)); break;
        }
        return t;
    }

    private static Tensor Basic(Tensor x, int[] axes, bool keepDims, Kind kind) => x.DType switch
    {
        DType.Float32 => Basic<float>(x, axes, keepDims, kind),
        DType.Float64 => Basic<double>(x, axes, keepDims, kind),
        DType.Int8 => Basic<sbyte>(x, axes, keepDims, kind),
        DType.UInt8 => Basic<byte>(x, axes, keepDims, kind),
        DType.Int16 => Basic<short>(x, axes, keepDims, kind),
        DType.UInt16 => Basic<ushort>(x, axes, keepDims, kind),
        DType.Int32 => Basic<int>(x, axes, keepDims, kind),
        DType.UInt32 => Basic<uint>(x, axes, keepDims, kind),
        DType.Int64 => Basic<long>(x, axes, keepDims, kind),
        DType.UInt64 => Basic<ulong>(x, axes, keepDims, kind),
        _ => throw new NotSupportedException($"reductions do not support {x.DType.Name()}"),
    };

    private static Tensor Basic<T>(Tensor x, int[] axes, bool keepDims, Kind kind) where T : unmanaged, INumber<T>, IMinMaxValue<T> => kind switch
    {
        Kind.Sum => Elementwise.Reduce<T, SumReduce<T>>(x, axes, keepDims),
        Kind.Prod => Elementwise.Reduce<T, ProdReduce<T>>(x, axes, keepDims),
        Kind.Max => Elementwise.Reduce<T, MaxReduce<T>>(x, axes, keepDims),
        Kind.Min => Elementwise.Reduce<T, MinReduce<T>>(x, axes, keepDims),
        _ => throw new InvalidOperationException($"{kind} is not a basic reduction"),
    };
}
