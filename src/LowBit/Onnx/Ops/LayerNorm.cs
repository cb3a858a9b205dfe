using System.Numerics;
using LowBit.Kernels;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>
/// LayerNormalization (opset 17): over the trailing dims from <c>axis</c> (rows of D = ∏ shape[axis..]),
/// μ = Σx/D, σ² = Σ(x − μ)²/D (two passes), y = (x − μ)·(1/√(σ² + ε))·scale + B with scale and B broadcast to
/// shape[axis..]. Optional outputs Mean and InvStdDev have shape shape[..axis] + [1, …]; they are float32
/// (float64 for float64 input). float16/bfloat16 compute in float32 (stash_type 1).
/// </summary>
internal static class LayerNorm
{
    [Op("LayerNormalization", 17)]
    public static Tensor?[] LayerNormalization(OpContext ctx, Tensor X, Tensor Scale, Tensor? B = null, long axis = -1, float epsilon = 1e-5f, long stash_type = 1)
    {
        int rank = X.Rank;
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new ArgumentException($"axis {axis} is out of range for rank {rank}");
        var normShape = X.Shape[(int)a..];
        var statShape = X.Shape.Select((d, i) => i < a ? d : 1).ToArray();
        bool f64 = X.DType == DType.Float64;
        var compute = f64 ? DType.Float64 : DType.Float32;
        // Conversions and expansions made here are temporaries, given back to the pool at the end.
        var temps = new List<Tensor>();
        Tensor Temp(Tensor made, Tensor original)
        {
            if (!ReferenceEquals(made.Data, original.Data)) temps.Add(made);
            return made;
        }
        var x = Temp(Elementwise.Cast(X, compute), X);
        var scale = Temp(Expand(Temp(Elementwise.Cast(Scale, compute), Scale), normShape, "Scale"), Scale);
        var bias = B is null ? null : Temp(Expand(Temp(Elementwise.Cast(B, compute), B), normShape, "B"), B);
        var mean = Tensor.Empty(compute, statShape);
        var inv = Tensor.Empty(compute, statShape);
        var y = f64 ? Run<double>(x, scale, bias, mean, inv, epsilon) : Run<float>(x, scale, bias, mean, inv, epsilon);
        if (X.DType != compute) y = Elementwise.FromFloat32(y, X.DType);
        foreach (var t in temps.Distinct()) Elementwise.Release(t);
        return [y, ReleaseUnless(ctx.WantsOutput(1), mean), ReleaseUnless(ctx.WantsOutput(2), inv)];
    }

    private static Tensor? ReleaseUnless(bool wanted, Tensor t)
    {
        if (wanted) return t;
        Elementwise.Release(t);
        return null;
    }

    /// <summary>The parameter broadcast to the normalized shape (a copy only when it is smaller).</summary>
    private static Tensor Expand(Tensor p, int[] shape, string name)
    {
        long d = Tensor.ElementCount(shape);
        if (p.Length == d) return p;
        if (!Broadcast.Shape(p.Shape, shape).SequenceEqual(shape))
            throw new ArgumentException($"{name} {p.ShapeString} does not broadcast to the normalized shape [{string.Join(",", shape)}]");
        return Elementwise.Add(p, Tensor.Zeros(p.DType, shape));
    }

    private static Tensor Run<T>(Tensor x, Tensor scale, Tensor? bias, Tensor mean, Tensor inv, float epsilon) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor.Empty(x.DType, x.Shape);
        int rows = mean.Length;
        if (y.Length == 0) return y;
        int d = x.Length / rows;
        var src = (T[])x.Data;
        var dst = (T[])y.Data;
        var g = (T[])scale.Data;
        var b = (T[]?)bias?.Data;
        var mu = (T[])mean.Data;
        var iv = (T[])inv.Data;
        T eps = T.CreateTruncating(epsilon), count = T.CreateTruncating(d);
        Parallelism.ForRange(rows, x.Length >= 2 * Elementwise.ParallelGrain ? Math.Max(1, Elementwise.ParallelGrain / d) : int.MaxValue, (r0, r1) =>
        {
            var gs = g.AsSpan(0, d);
            for (int r = r0; r < r1; r++)
            {
                var xs = src.AsSpan(r * d, d);
                var ds = dst.AsSpan(r * d, d);
                T m = TP.Sum<T>(xs) / count;
                TP.Subtract(xs, m, ds);
                T variance = TP.SumOfSquares<T>(ds) / count;
                T k = T.One / T.Sqrt(variance + eps);
                TP.Multiply(ds, k, ds);
                if (b is null) TP.Multiply(ds, gs, ds);
                else TP.MultiplyAdd(ds, gs, b.AsSpan(0, d), ds);
                mu[r] = m;
                iv[r] = k;
            }
        });
        return y;
    }
}
