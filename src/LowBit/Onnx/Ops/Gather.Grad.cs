using LowBit.Runtime.Autograd;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of Gather (an embedding lookup when axis = 0): dData[o, idx[j], i] += dY[o, j.., i], a scatter-add
/// (repeated indices accumulate); the indices have no gradient.</summary>
internal static class GatherGrad
{
    [Grad("Gather", 1)]
    public static Tensor?[] Gather(GradContext ctx, Tensor data, Tensor indices, long axis = 0)
    {
        if (!data.DType.IsFloat() || !ctx.Needs(0)) return [null, null];
        int r = data.Rank, a = ShapeArgs.Axis(axis, r), dim = data.Shape[a];
        var idx = GatherOps.Indices(indices, dim, "Gather");
        int outer = ShapeArgs.Product(data.Shape, 0, a), inner = ShapeArgs.Product(data.Shape, a + 1, r);
        var dx = Tensor.Zeros(DType.Float32, data.Shape);
        var d = dx.AsSpan<float>();
        var g = Elementwise.ToFloat32(ctx.OutputGrad()).AsReadOnlySpan<float>();
        for (int o = 0, k = 0; o < outer; o++)
            for (int j = 0; j < idx.Length; j++, k += inner)
            {
                var row = d.Slice((o * dim + idx[j]) * inner, inner);
                if (inner == 1) row[0] += g[k];
                else TP.Add(row, g.Slice(k, inner), row);
            }
        return [GradElementwise.Pass(data, dx), null];
    }
}
