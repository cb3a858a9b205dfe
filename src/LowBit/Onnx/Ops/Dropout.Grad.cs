using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of Dropout: with the training mask m and scale 1/(1 − ratio) the forward left in
/// <see cref="OpContext.Saved"/>, dX = dY·m·scale; without (inference, ratio 0) the op was the identity, dX = dY.
/// The mask output has no gradient.</summary>
internal static class DropoutGrad
{
    [Grad("Dropout", 1)]
    public static Tensor?[] Dropout(GradContext ctx, Tensor data)
    {
        if (!data.DType.IsFloat() || !ctx.Needs(0)) return [null];
        var dyIn = ctx.OutputGrad();
        if (ctx.Saved is not ValueTuple<Tensor, double> saved) return [GradElementwise.Pass(data, dyIn)];
        var (mask, scale) = saved;
        var dy = Elementwise.ToFloat32(dyIn);
        var dx = Tensor.Empty(DType.Float32, data.Shape);
        bool[] m = (bool[])mask.Data;
        float[] g = (float[])dy.Data, d = (float[])dx.Data;
        float s = (float)scale;
        Elementwise.Split(d.Length, (lo, hi) =>
        {
            for (int i = lo; i < hi; i++) d[i] = m[i] ? g[i] * s : 0f;
        });
        return [GradElementwise.Pass(data, dx)];
    }
}
