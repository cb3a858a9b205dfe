using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of Transpose: dX = transpose(dY, perm⁻¹) (out dim i is in dim perm[i], so dX dim perm[i] is dY dim i).</summary>
internal static class TransposeGrad
{
    [Grad("Transpose", 1)]
    public static Tensor?[] Transpose(GradContext ctx, Tensor data, long[]? perm = null)
    {
        if (!data.DType.IsFloat()) return [null];
        int r = data.Rank;
        var p = perm is null ? Enumerable.Range(0, r).Reverse().ToArray() : ShapeArgs.Axes(perm, r, "perm");
        var inverse = new int[r];
        for (int i = 0; i < r; i++) inverse[p[i]] = i;
        var dy = ctx.OutputGrad();
        return [GradElementwise.Pass(data, TransposeOps.Permute(dy, dy.Shape, inverse))];
    }
}
