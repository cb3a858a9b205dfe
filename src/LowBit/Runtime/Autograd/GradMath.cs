using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using LowBit.Tensors;

namespace LowBit.Runtime.Autograd;

/// <summary>Small float32 helpers shared by backward functions.</summary>
internal static class GradMath
{
    /// <summary>Sums a gradient of a broadcast result back to <paramref name="shape"/> (the operand's shape):
    /// leading extra dims and dims where the operand had size 1 are summed.</summary>
    public static Tensor SumToShape(Tensor grad, int[] shape)
    {
        if (grad.Shape.SequenceEqual(shape)) return grad;
        var g = grad.AsSpan<float>();
        var result = Tensor.Zeros(DType.Float32, shape);
        var r = result.AsSpan<float>();
        var map = Broadcast.SourceIndex(shape, grad.Shape);
        for (int i = 0; i < g.Length; i++) r[map[i]] += g[i];
        return result;
    }

    /// <summary>a + b for same-shape float32 tensors, into a new tensor (never in place: gradients may be shared).</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var r = Tensor.Empty(DType.Float32, a.Shape);
        TensorPrimitives.Add(a.AsSpan<float>(), b.AsSpan<float>(), r.AsSpan<float>());
        return r;
    }
}
