using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of Cast and CastLike between float types: dX = dY cast back to X's type. A cast from or to a
/// non-float type has no gradient (it is piecewise constant or not numeric).</summary>
internal static class CastGrad
{
    [Grad("Cast", 1)]
    public static Tensor?[] Cast(GradContext ctx, Tensor input) =>
        [input.DType.IsFloat() && ctx.Outputs[0]!.DType.IsFloat() && ctx.Needs(0) ? GradElementwise.Pass(input, ctx.OutputGrad()) : null];

    [Grad("CastLike", 15)]
    public static Tensor?[] CastLike(GradContext ctx, Tensor input) => [.. Cast(ctx, input), null];
}
