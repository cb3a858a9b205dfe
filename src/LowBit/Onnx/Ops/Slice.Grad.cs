using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of Slice: dX is zero except on the sliced elements, which receive dY through the same strided
/// view the forward read (begin, step per axis with the forward's clamping, <see cref="SliceOps.Range"/>).</summary>
internal static class SliceGrad
{
    [Grad("Slice", 1)]
    public static Tensor?[] SliceV1(GradContext ctx, Tensor data, long[] starts, long[] ends, long[]? axes = null) =>
        [Scatter(ctx, data, starts, ends, axes, null)];

    [Grad("Slice", 10)]
    public static Tensor?[] Slice(GradContext ctx, Tensor data, Tensor starts, Tensor ends, Tensor? axes = null, Tensor? steps = null) =>
        [Scatter(ctx, data, ShapeArgs.Longs(starts), ShapeArgs.Longs(ends), axes is null ? null : ShapeArgs.Longs(axes),
            steps is null ? null : ShapeArgs.Longs(steps))];

    private static Tensor? Scatter(GradContext ctx, Tensor data, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        if (!data.DType.IsFloat() || !ctx.Needs(0)) return null;
        int r = data.Rank, n = starts.Length;
        var ax = axes is null ? Enumerable.Range(0, n).ToArray() : ShapeArgs.Axes(axes, r);
        var begin = new long[r];
        var step = new long[r];
        var shape = (int[])data.Shape.Clone();
        Array.Fill(step, 1);
        for (int i = 0; i < n; i++)
        {
            int a = ax[i];
            long st = steps?[i] ?? 1;
            var (s, count) = SliceOps.Range(starts[i], ends[i], st, data.Shape[a]);
            begin[a] = s;
            step[a] = st;
            shape[a] = (int)count;
        }
        var dx = Tensor.Zeros(DType.Float32, data.Shape);
        if (shape.Any(d => d == 0)) return GradElementwise.Pass(data, dx);
        var strides = ShapeArgs.Strides(data.Shape);
        long off = 0;
        var dst = new long[r];
        for (int d = 0; d < r; d++)
        {
            off += begin[d] * strides[d];
            dst[d] = strides[d] * step[d];
        }
        var dy = Elementwise.ToFloat32(ctx.OutputGrad());
        Elements.StridedCopy(dy, 0, ShapeArgs.Strides(shape), dx, off, dst, shape);
        return GradElementwise.Pass(data, dx);
    }
}
