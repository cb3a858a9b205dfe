using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of ReduceSum and ReduceMean: dY (with the reduced dims restored as 1 when keepdims = 0) broadcast
/// back over the reduced dims, divided by the reduced count for the mean. Empty axes reduce everything, unless
/// noop_with_empty_axes made the op the identity.</summary>
internal static class ReductionsGrad
{
    [Grad("ReduceSum", 13)]
    public static Tensor?[] ReduceSum(GradContext ctx, Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) =>
        FromInput(ctx, data, axes, keepdims, noop_with_empty_axes, mean: false);

    [Grad("ReduceSum", 1)]
    public static Tensor?[] ReduceSumLegacy(GradContext ctx, Tensor data, long[]? axes = null, long keepdims = 1) =>
        [Spread(ctx, data, axes ?? [], keepdims != 0, mean: false)];

    [Grad("ReduceMean", 18)]
    public static Tensor?[] ReduceMean(GradContext ctx, Tensor data, Tensor? axes = null, long keepdims = 1, long noop_with_empty_axes = 0) =>
        FromInput(ctx, data, axes, keepdims, noop_with_empty_axes, mean: true);

    [Grad("ReduceMean", 1)]
    public static Tensor?[] ReduceMeanLegacy(GradContext ctx, Tensor data, long[]? axes = null, long keepdims = 1) =>
        [Spread(ctx, data, axes ?? [], keepdims != 0, mean: true)];

    private static Tensor?[] FromInput(GradContext ctx, Tensor data, Tensor? axes, long keepdims, long noop, bool mean)
    {
        var list = axes is null ? [] : axes.ToInt64Array();
        if (list.Length == 0 && noop != 0) return [data.DType.IsFloat() ? GradElementwise.Pass(data, ctx.OutputGrad()) : null, null];
        return [Spread(ctx, data, list, keepdims != 0, mean), null];
    }

    private static Tensor? Spread(GradContext ctx, Tensor data, long[] axes, bool keepDims, bool mean)
    {
        if (!data.DType.IsFloat() || !ctx.Needs(0)) return null;
        var ax = Elementwise.NormalizeAxes(axes, data.Rank);
        var kept = Elementwise.ReducedShape(data.Shape, ax, keepDims: true);
        var dy = Elementwise.ToFloat32(ctx.OutputGrad());
        var g = dy.AsReadOnlySpan<float>();
        long count = data.Length / Math.Max(1, Tensor.ElementCount(kept));
        float scale = mean ? 1f / Math.Max(1, count) : 1f;
        var dx = Tensor.Empty(DType.Float32, data.Shape);
        var d = dx.AsSpan<float>();
        var map = Broadcast.SourceIndex(kept, data.Shape);
        for (int i = 0; i < d.Length; i++) d[i] = g[map[i]] * scale;
        return GradElementwise.Pass(data, dx);
    }
}
