using ModelGraph = LowBit.Graph.Graph;
using LowBit.Tensors;

namespace LowBit.Tests.Nn.Optim;

internal static class OptimTestGraphs
{
    /// <summary>A graph holding float initializers "w" and "b" (and int64 "shape") used by nothing but the optimizer.</summary>
    public static ModelGraph Params(float[] w, float[] b)
    {
        var g = new ModelGraph();
        g.Initializers["w"] = Tensor.FromArray((float[])w.Clone(), w.Length);
        g.Initializers["b"] = Tensor.FromArray((float[])b.Clone(), b.Length);
        g.Initializers["shape"] = Tensor.FromArray(new long[] { 1, 2 }, 2);
        return g;
    }

    public static Dictionary<string, Tensor> Grads(float[] w, float[] b) => new()
    {
        ["w"] = Tensor.FromArray((float[])w.Clone(), w.Length),
        ["b"] = Tensor.FromArray((float[])b.Clone(), b.Length),
    };

    /// <summary>f(p) = ½ Σ aᵢ (pᵢ − cᵢ)², a strictly convex quadratic with minimum at c; ∇f = a ⊙ (p − c).</summary>
    public static readonly float[] A = [1f, 4f, 0.25f, 9f], C = [1f, -2f, 3f, 0.5f];

    public static Dictionary<string, Tensor> QuadraticGrad(ModelGraph g)
    {
        var p = g.Initializers["w"].ToFloatArray();
        return new() { ["w"] = Tensor.FromArray(p.Select((v, i) => A[i] * (v - C[i])).ToArray(), p.Length) };
    }
}
