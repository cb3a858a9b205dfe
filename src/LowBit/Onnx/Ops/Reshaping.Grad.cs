using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of the view ops (Reshape, Flatten, Squeeze, Unsqueeze): dX is dY viewed with X's
/// shape (storage shared, nothing copied). Shape and axes inputs have no gradient.</summary>
internal static class ReshapingGrad
{
    [Grad("Reshape", 1)] public static Tensor?[] Reshape(GradContext ctx, Tensor data) => View(ctx, data);
    [Grad("Flatten", 1)] public static Tensor?[] Flatten(GradContext ctx, Tensor input) => View(ctx, input);
    [Grad("Squeeze", 1)] public static Tensor?[] Squeeze(GradContext ctx, Tensor data) => View(ctx, data);
    [Grad("Unsqueeze", 1)] public static Tensor?[] Unsqueeze(GradContext ctx, Tensor data) => View(ctx, data);

    internal static Tensor?[] View(GradContext ctx, Tensor x) =>
        [x.DType.IsFloat() && ctx.Needs(0) ? GradElementwise.Pass(x, ctx.OutputGrad()) : null];
}
