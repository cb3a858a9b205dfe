using System.Numerics;
using LowBit.Kernels;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Softmax, LogSoftmax, Hardmax. Opset 13+: along one axis (default −1), viewed as [outer, n, inner]. Before 13: the
/// input is coerced to 2-D [∏ dims[..axis], ∏ dims[axis..]] (axis default 1) and normalized along rows, i.e. the same
/// walk with n = ∏ dims[axis..] and inner = 1.
/// Softmax = e^(x − m) / Σ e^(x − m) with m the maximum (no overflow); LogSoftmax = x − m − log Σ e^(x − m).
/// </summary>
internal static class SoftmaxOps
{
    internal enum Kind { Softmax, LogSoftmax, Hardmax }

    [Op("Softmax", 13)] public static Tensor Softmax(Tensor input, long axis = -1) => Run(input, axis, Kind.Softmax, legacy: false);
    [Op("LogSoftmax", 13)] public static Tensor LogSoftmax(Tensor input, long axis = -1) => Run(input, axis, Kind.LogSoftmax, legacy: false);
    [Op("Hardmax", 13)] public static Tensor Hardmax(Tensor input, long axis = -1) => Run(input, axis, Kind.Hardmax, legacy: false);

    [Op("Softmax", 1)] public static Tensor SoftmaxLegacy(Tensor input, long axis = 1) => Run(input, axis, Kind.Softmax, legacy: true);
    [Op("LogSoftmax", 1)] public static Tensor LogSoftmaxLegacy(Tensor input, long axis = 1) => Run(input, axis, Kind.LogSoftmax, legacy: true);
    [Op("Hardmax", 1)] public static Tensor HardmaxLegacy(Tensor input, long axis = 1) => Run(input, axis, Kind.Hardmax, legacy: true);

    internal static Tensor Run(Tensor x, long axis, Kind kind, bool legacy)
    {
        int rank = x.Rank;
        long a = axis < 0 ? axis + rank : axis;
        // Legacy axis may equal rank (coerced to [N, 1]); a scalar has one element along a virtual axis.
        if (a < 0 || a > rank || (!legacy && a == rank && rank > 0)) throw new ArgumentException($"axis {axis} is out of range for rank {rank}");
        int outer = 1, n = 1, inner = 1;
        for (int i = 0; i < rank; i++)
        {
            if (i < a) outer *= x.Shape[i];
            else if (i == a || legacy) n *= x.Shape[i];
            else inner *= x.Shape[i];
        }
        return x.DType switch
        {
            DType.Float32 => Run<float>(x, outer, n, inner, kind),
            DType.Float64 => Run<double>(x, outer, n, inner, kind),
            DType.Float16 or DType.BFloat16 => Elementwise.ViaFloat32(x, f => Run<float>(f, outer, n, inner, kind)),
            _ => throw new NotSupportedException($"{kind} needs a floating-point input, got {x.DType.Name()}"),
        };
    }

    private static Tensor Run<T>(Tensor x, int outer, int n, int inner, Kind kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = Tensor.Empty(x.DType, x.Shape);
        if (r.Length == 0) return r;
        var src = (T[])x.Data;
        var dst = (T[])r.Data;
        int block = n * inner;
        int grain = Math.Max(1, Elementwise.ParallelGrain / block);
        Parallelism.ForRange(outer, x.Length >= 2 * Elementwise.ParallelGrain ? grain : int.MaxValue, (o0, o1) =>
        {
            var m = inner > 1 ? new T[inner] : null;
            var s = inner > 1 ? new T[inner] : null;
            for (int o = o0; o < o1; o++)
            {
                var xs = src.AsSpan(o * block, block);
                var ds = dst.AsSpan(o * block, block);
                if (inner == 1) Row(xs, ds, kind);
                else Columns(xs, ds, n, inner, m!, s!, kind);
            }
        });
        return r;
    }

    private static void Row<T>(ReadOnlySpan<T> x, Span<T> d, Kind kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind == Kind.Hardmax)
        {
            d.Clear();
            d[TP.IndexOfMax(x)] = T.One;
            return;
        }
        T max = TP.Max(x);
        TP.Subtract(x, max, d);
        TP.Exp(d, d);
        T sum = TP.Sum(d);
        if (kind == Kind.Softmax) TP.Divide(d, sum, d);
        else TP.Subtract(x, max + T.Log(sum), d);
    }

    /// <summary>The normalized axis is strided by <paramref name="inner"/>: keep per-column maxima and sums in
    /// <paramref name="m"/> and <paramref name="s"/> and process whole rows of the [n, inner] block.</summary>
    private static void Columns<T>(ReadOnlySpan<T> x, Span<T> d, int n, int inner, T[] m, T[] s, Kind kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind == Kind.Hardmax)
        {
            d.Clear();
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                for (int k = 1; k < n; k++)
                {
                    T v = x[k * inner + i], b = x[best * inner + i];
                    if (!T.IsNaN(b) && (v > b || T.IsNaN(v))) best = k;
                }
                d[best * inner + i] = T.One;
            }
            return;
        }
        x[..inner].CopyTo(m);
        for (int k = 1; k < n; k++) TP.Max(m, x.Slice(k * inner, inner), m);
        Array.Clear(s);
        for (int k = 0; k < n; k++)
        {
            var dk = d.Slice(k * inner, inner);
            TP.Subtract(x.Slice(k * inner, inner), m, dk);
            TP.Exp(dk, dk);
            TP.Add(s, dk, s);
        }
        if (kind == Kind.Softmax)
        {
            for (int k = 0; k < n; k++) TP.Divide(d.Slice(k * inner, inner), s, d.Slice(k * inner, inner));
            return;
        }
        // s ← m + log s, then d = x − s.
        TP.Log(s, s);
        TP.Add(s, m, s);
        for (int k = 0; k < n; k++) TP.Subtract(x.Slice(k * inner, inner), s, d.Slice(k * inner, inner));
    }
}
