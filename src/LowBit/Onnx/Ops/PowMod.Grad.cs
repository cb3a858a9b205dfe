using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of Pow with broadcasting: Z = X^Y, dX = dZ·Y·X^(Y−1), dY = dZ·Z·ln X (computed in double per
/// element, then summed back to each operand's shape). The exponent's gradient is NaN where X ≤ 0, as in PyTorch.</summary>
internal static class PowModGrad
{
    [Grad("Pow", 7)]
    public static Tensor?[] Pow(GradContext ctx, Tensor X, Tensor Y)
    {
        if (!X.DType.IsFloat()) return [null, null];
        var z = ctx.Outputs[0]!;
        var dz = ctx.OutputGrad();
        var shape = z.Shape;
        var xm = Broadcast.SourceIndex(X.Shape, shape);
        var ym = Broadcast.SourceIndex(Y.Shape, shape);
        Tensor? dx = null, dy = null;
        if (ctx.Needs(0))
        {
            var full = Tensor.Empty(DType.Float32, shape);
            for (int i = 0; i < full.Length; i++)
            {
                double x = X.GetDouble(xm[i]), y = Y.GetDouble(ym[i]);
                full.SetDouble(i, dz.GetDouble(i) * y * Math.Pow(x, y - 1));
            }
            dx = GradReduce.SumTo(full, X.Shape, X.DType);
        }
        if (ctx.Needs(1) && Y.DType.IsFloat())
        {
            var full = Tensor.Empty(DType.Float32, shape);
            for (int i = 0; i < full.Length; i++) full.SetDouble(i, dz.GetDouble(i) * z.GetDouble(i) * Math.Log(X.GetDouble(xm[i])));
            dy = GradReduce.SumTo(full, Y.Shape, Y.DType);
        }
        return [dx, dy];
    }

    [Grad("Pow", 1)]
    public static Tensor?[] PowLegacy(GradContext ctx, Tensor X, Tensor Y, long broadcast = 0, int? axis = null)
    {
        var grads = Pow(ctx, X, Arithmetic.Legacy(X, Y, broadcast, axis));
        if (grads[1] is Tensor g && !g.Shape.SequenceEqual(Y.Shape)) grads[1] = g.Reshape(Y.Shape);
        return grads;
    }
}
