using LowBit.Kernels;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of Softmax and LogSoftmax over the same [outer, n, inner] walk as the forward (opset 13+: one axis; before:
/// the 2-D coercion, n = ∏ dims[axis..], inner = 1). With s the sum along the normalized axis:
/// Softmax dX = Y ⊙ (dY − Σ dY⊙Y); LogSoftmax dX = dY − e^Y · Σ dY.
/// </summary>
internal static class SoftmaxGrad
{
    [Grad("Softmax", 13)] public static Tensor?[] Softmax(GradContext ctx, Tensor input, long axis = -1) => [Run(ctx, input, axis, false, false)];
    [Grad("LogSoftmax", 13)] public static Tensor?[] LogSoftmax(GradContext ctx, Tensor input, long axis = -1) => [Run(ctx, input, axis, true, false)];
    [Grad("Softmax", 1)] public static Tensor?[] SoftmaxLegacy(GradContext ctx, Tensor input, long axis = 1) => [Run(ctx, input, axis, false, true)];
    [Grad("LogSoftmax", 1)] public static Tensor?[] LogSoftmaxLegacy(GradContext ctx, Tensor input, long axis = 1) => [Run(ctx, input, axis, true, true)];

    private static Tensor Run(GradContext ctx, Tensor x, long axis, bool log, bool legacy)
    {
        int rank = x.Rank;
        long a = axis < 0 ? axis + rank : axis;
        int outer = 1, n = 1, inner = 1;
        for (int i = 0; i < rank; i++)
        {
            if (i < a) outer *= x.Shape[i];
            else if (i == a || legacy) n *= x.Shape[i];
            else inner *= x.Shape[i];
        }
        var y = Elementwise.ToFloat32(ctx.Outputs[0]!);
        var dy = Elementwise.ToFloat32(ctx.OutputGrad());
        var dx = Tensor.Empty(DType.Float32, x.Shape);
        if (dx.Length == 0) return dx;
        float[] ys = (float[])y.Data, gs = (float[])dy.Data, ds = (float[])dx.Data;
        int block = n * inner;
        Parallelism.ForRange(outer, x.Length >= 2 * Elementwise.ParallelGrain ? Math.Max(1, Elementwise.ParallelGrain / block) : int.MaxValue, (o0, o1) =>
        {
            var s = inner > 1 ? new float[inner] : null;
            for (int o = o0; o < o1; o++)
            {
                var yo = ys.AsSpan(o * block, block);
                var go = gs.AsSpan(o * block, block);
                var d = ds.AsSpan(o * block, block);
                if (inner == 1) Row(yo, go, d, log);
                else Columns(yo, go, d, n, inner, s!, log);
            }
        });
        return x.DType == DType.Float32 ? dx : Elementwise.Cast(dx, x.DType);
    }

    private static void Row(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, bool log)
    {
        if (log)
        {
            float sum = TP.Sum(dy);
            TP.Exp(y, dx);
            TP.MultiplyAdd(dx, -sum, dy, dx);
            return;
        }
        float dot = TP.Dot(dy, y);
        TP.Subtract(dy, dot, dx);
        TP.Multiply(dx, y, dx);
    }

    /// <summary>Strided axis: per-column sums over the n rows of the [n, inner] block.</summary>
    private static void Columns(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int n, int inner, float[] s, bool log)
    {
        Array.Clear(s);
        for (int k = 0; k < n; k++)
        {
            var gk = dy.Slice(k * inner, inner);
            if (log) TP.Add(s, gk, s);
            else TP.MultiplyAdd(gk, y.Slice(k * inner, inner), s, s);
        }
        for (int k = 0; k < n; k++)
        {
            var yk = y.Slice(k * inner, inner);
            var gk = dy.Slice(k * inner, inner);
            var dk = dx.Slice(k * inner, inner);
            if (log)
            {
                // dx = dy − e^y·s
                TP.Exp(yk, dk);
                TP.Multiply(dk, s, dk);
                TP.Subtract(gk, dk, dk);
            }
            else
            {
                TP.Subtract(gk, s, dk);
                TP.Multiply(dk, yk, dk);
            }
        }
    }
}
