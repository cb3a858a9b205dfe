using LowBit.Kernels;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of LayerNormalization over rows of D = ∏ shape[axis..]. The row statistics are recomputed from X with the
/// forward's float32 operations (μ = Σx/D, r = 1/√(Σ(x − μ)²/D + ε)); with x̂ = (x − μ)·r and g = dY⊙γ:
/// <code>
/// dX = r·(g − mean(g) − x̂·mean(g⊙x̂))       dγ = Σ_rows dY⊙x̂       dβ = Σ_rows dY
/// </code>
/// (γ and β summed further to their own shape when they were broadcast). Rows run in parallel; each part keeps its
/// own dγ, dβ. The Mean and InvStdDev outputs are treated as not differentiable.
/// </summary>
internal static class LayerNormGrad
{
    [Grad("LayerNormalization", 17)]
    public static Tensor?[] LayerNormalization(GradContext ctx, Tensor X, Tensor Scale, Tensor? B = null, long axis = -1, float epsilon = 1e-5f)
    {
        if (!X.DType.IsFloat()) return [null, null, null];
        int rank = X.Rank;
        int a = (int)(axis < 0 ? axis + rank : axis);
        var normShape = X.Shape[a..];
        int d = ShapeArgs.Product(X.Shape, a, rank), rows = d == 0 ? 0 : X.Length / d;
        var x = Elementwise.ToFloat32(X);
        var dy = Elementwise.ToFloat32(ctx.OutputGrad());
        var gamma = Expand(Elementwise.ToFloat32(Scale), normShape);
        bool needX = ctx.Needs(0), needG = ctx.Needs(1), needB = B is not null && ctx.Needs(2);
        var dx = needX ? Tensor.Empty(DType.Float32, X.Shape) : null;
        var dGamma = new float[d];
        var dBeta = new float[d];
        var gate = new object();
        float[] xs = (float[])x.Data, gs = (float[])dy.Data, gm = (float[])gamma.Data;
        float[]? ds = (float[]?)dx?.Data;
        Parallelism.ForRange(rows, X.Length >= 2 * Elementwise.ParallelGrain ? Math.Max(1, Elementwise.ParallelGrain / Math.Max(1, d)) : int.MaxValue, (r0, r1) =>
        {
            float[] xhat = new float[d], g = new float[d], pg = new float[d], pb = new float[d];
            var gammaRow = gm.AsSpan(0, d);
            for (int r = r0; r < r1; r++)
            {
                var xr = xs.AsSpan(r * d, d);
                var gr = gs.AsSpan(r * d, d);
                float mu = TP.Sum<float>(xr) / d;
                TP.Subtract(xr, mu, xhat);
                float inv = 1f / MathF.Sqrt(TP.SumOfSquares<float>(xhat) / d + epsilon);
                TP.Multiply(xhat, inv, xhat);
                if (needG) TP.MultiplyAdd(gr, xhat, pg, pg);
                if (needB) TP.Add(pb, gr, pb);
                if (ds is null) continue;
                TP.Multiply(gr, gammaRow, g);
                float meanG = TP.Sum<float>(g) / d, meanGx = TP.Dot(g, xhat) / d;
                var dr = ds.AsSpan(r * d, d);
                TP.MultiplyAdd(xhat, -meanGx, g, dr);
                TP.Add(dr, -meanG, dr);
                TP.Multiply(dr, inv, dr);
            }
            lock (gate)
            {
                TP.Add(dGamma, pg, dGamma);
                TP.Add(dBeta, pb, dBeta);
            }
        });
        Tensor? gScale = needG ? ToParam(dGamma, normShape, Scale) : null;
        Tensor? gBias = needB ? ToParam(dBeta, normShape, B!) : null;
        return [dx is null ? null : GradElementwise.Pass(X, dx), gScale, gBias];
    }

    /// <summary>A per-position gradient over the normalized shape, summed to the parameter's (broadcast) shape.</summary>
    private static Tensor ToParam(float[] g, int[] normShape, Tensor p) =>
        g.Length == p.Length ? GradElementwise.Pass(p, Tensor.FromArray(g, p.Shape)) : GradReduce.SumTo(Tensor.FromArray(g, normShape), p.Shape, p.DType);

    /// <summary>γ broadcast to the normalized shape (a copy only when it is smaller).</summary>
    private static Tensor Expand(Tensor p, int[] shape)
    {
        if (p.Length == Tensor.ElementCount(shape)) return p;
        return Elementwise.Add(p, Tensor.Zeros(DType.Float32, shape));
    }
}
