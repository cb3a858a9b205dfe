using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of Concat (dX_i is the slab of dY along the axis where X_i was placed) and Split (dX is the output
/// gradients concatenated back; an output without a gradient contributes zeros).</summary>
internal static class ConcatGrad
{
    [Grad("Concat", 1)]
    public static Tensor?[] Concat(GradContext ctx, long axis = 1, params Tensor[] inputs)
    {
        var dy = ctx.OutputGrad();
        int a = ShapeArgs.Axis(axis, dy.Rank), start = 0;
        var grads = new Tensor?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            int len = inputs[i].Shape[a];
            if (ctx.Needs(i) && inputs[i].DType.IsFloat()) grads[i] = GradElementwise.Pass(inputs[i], ConcatOps.Narrow(dy, a, start, len));
            start += len;
        }
        return grads;
    }

    [Grad("Concat", 4)]
    public static Tensor?[] Concat4(GradContext ctx, long axis, params Tensor[] inputs) => Concat(ctx, axis, inputs);

    [Grad("Split", 1)]
    public static Tensor?[] Split(GradContext ctx, Tensor input, long axis = 0)
    {
        if (!input.DType.IsFloat()) return [null];
        int a = ShapeArgs.Axis(axis, input.Rank);
        // The outputs partition the axis in order; a missing (unwanted) output's extent is what the others leave.
        int n = ctx.Outputs.Length, known = 0, missing = -1;
        for (int i = 0; i < n; i++)
        {
            if (ctx.Outputs[i] is Tensor o) known += o.Shape[a];
            else if (missing < 0) missing = i;
            else throw new NotSupportedException("Split backward needs all but one output to be produced");
        }
        var parts = new Tensor[n];
        for (int i = 0; i < n; i++)
        {
            var shape = (int[])input.Shape.Clone();
            shape[a] = ctx.Outputs[i] is Tensor o ? o.Shape[a] : input.Shape[a] - known;
            parts[i] = ctx.OutputGrads[i] is Tensor g ? Elementwise.ToFloat32(g) : Tensor.Zeros(DType.Float32, shape);
        }
        return [GradElementwise.Pass(input, ConcatOps.DoConcat(parts, a))];
    }
}
