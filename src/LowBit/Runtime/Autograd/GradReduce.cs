using LowBit.Onnx.Ops;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Runtime.Autograd;

/// <summary>Reductions that backward functions share: un-broadcasting a gradient and per-channel sums.</summary>
internal static class GradReduce
{
    /// <summary>
    /// The gradient of a broadcast operand: <paramref name="grad"/> (the result's gradient) summed over the dims where
    /// the operand of <paramref name="shape"/> was broadcast (leading extra dims and size-1 dims), cast to
    /// <paramref name="dtype"/>. Returns <paramref name="grad"/> itself when nothing was broadcast. Adjacent dims that are
    /// all summed or all kept are merged, so the walk is one row operation per run: rows of a kept innermost run are
    /// added with one vector add (a bias over [N, T, D] is N·T adds of D floats), rows of a summed one are one vector sum.
    /// </summary>
    public static Tensor SumTo(Tensor grad, int[] shape, DType dtype)
    {
        if (grad.Shape.SequenceEqual(shape)) return grad.DType == dtype ? grad : Elementwise.Cast(grad, dtype);
        int rank = grad.Rank;
        if (shape.Length > rank) throw new ArgumentException($"cannot sum a gradient of {grad.ShapeString} to the larger rank of [{string.Join(",", shape)}]");
        var g32 = Elementwise.ToFloat32(grad);
        var result = Tensor.Zeros(DType.Float32, shape);
        // Runs of dims: (size, summed). Dims of size 1 in the gradient are skipped (both sides have 1).
        var sizes = new List<int>();
        var summed = new List<bool>();
        for (int d = 0; d < rank; d++)
        {
            int k = d - (rank - shape.Length), od = k < 0 ? 1 : shape[k];
            if (grad.Shape[d] == 1) continue;
            if (od != grad.Shape[d] && od != 1) throw new ArgumentException($"[{string.Join(",", shape)}] does not broadcast to {grad.ShapeString}");
            bool s = od == 1;
            if (summed.Count > 0 && summed[^1] == s) sizes[^1] *= grad.Shape[d];
            else { sizes.Add(grad.Shape[d]); summed.Add(s); }
        }
        var g = g32.AsReadOnlySpan<float>();
        var r = result.AsSpan<float>();
        if (sizes.Count == 0 || g.Length == 0)
        {
            if (g.Length > 0) r[0] = g[0];
            return Finish(result, dtype);
        }
        int groups = sizes.Count, inner = sizes[^1];
        bool innerSummed = summed[^1];
        // Result strides of the kept runs (summed runs step 0).
        var stride = new int[groups];
        for (int k = groups - 1, acc = 1; k >= 0; k--)
        {
            stride[k] = summed[k] ? 0 : acc;
            if (!summed[k]) acc *= sizes[k];
        }
        var idx = new int[groups];
        int rows = g.Length / inner, off = 0;
        for (int row = 0; row < rows; row++)
        {
            var src = g.Slice(row * inner, inner);
            if (innerSummed) r[off] += TP.Sum(src);
            else TP.Add(r.Slice(off, inner), src, r.Slice(off, inner));
            for (int k = groups - 2; k >= 0; k--)
            {
                off += stride[k];
                if (++idx[k] < sizes[k]) break;
                off -= stride[k] * sizes[k];
                idx[k] = 0;
            }
        }
        return Finish(result, dtype);
    }

    private static Tensor Finish(Tensor r, DType dtype) => dtype == DType.Float32 ? r : Elementwise.Cast(r, dtype);
}
