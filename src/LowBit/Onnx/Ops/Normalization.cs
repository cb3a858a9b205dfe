using System.Numerics;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>InstanceNormalization, LpNormalization, MeanVarianceNormalization, LRN (float32/float64; float16 and
/// bfloat16 through float32).</summary>
internal static class Normalization
{
    /// <summary>Per (n, c) plane: y = (x − μ)/√(σ² + ε)·scale[c] + B[c], population variance.</summary>
    [Op("InstanceNormalization", 1)]
    public static Tensor InstanceNormalization(Tensor input, Tensor scale, Tensor B, float epsilon = 1e-5f)
    {
        if (input.Rank < 2) throw new ArgumentException($"input must have rank ≥ 2, got {input.ShapeString}");
        int c = input.Shape[1];
        if (scale.Length != c || B.Length != c) throw new ArgumentException($"scale and B must have {c} values");
        double[] g = scale.ToDoubleArray(), b = B.ToDoubleArray();
        return Floating(input, x => x.DType == DType.Float32 ? Instance<float>(x, g, b, epsilon) : Instance<double>(x, g, b, epsilon));
    }

    private static Tensor Instance<T>(Tensor x, double[] g, double[] b, float eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor.Empty(x.DType, x.Shape);
        int c = x.Shape[1], planes = x.Shape[0] * c;
        if (planes == 0 || y.Length == 0) return y;
        int plane = x.Length / planes;
        var src = (T[])x.Data;
        var dst = (T[])y.Data;
        T count = T.CreateTruncating(plane);
        Elementwise.ForRows(planes, x.Length, plane, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                var xs = src.AsSpan(p * plane, plane);
                var ds = dst.AsSpan(p * plane, plane);
                T m = TP.Sum<T>(xs) / count;
                TP.Subtract(xs, m, ds);
                T k = T.One / T.Sqrt(TP.SumOfSquares<T>(ds) / count + T.CreateTruncating(eps));
                TP.Multiply(ds, k * T.CreateTruncating(g[p % c]), ds);
                TP.Add(ds, T.CreateTruncating(b[p % c]), ds);
            }
        });
        return y;
    }

    /// <summary>x / ‖x‖ₚ along <c>axis</c>, p ∈ {1, 2}; an all-zero slice stays zero.</summary>
    [Op("LpNormalization", 1)]
    public static Tensor LpNormalization(Tensor input, long axis = -1, long p = 2)
    {
        if (p is not (1 or 2)) throw new ArgumentException($"p must be 1 or 2, got {p}");
        var axes = new[] { axis };
        return Floating(input, x =>
        {
            var norm = Reductions.Run(x, axes, keepDims: true, p == 1 ? Reductions.Kind.L1 : Reductions.Kind.L2);
            // ‖x‖ = 0 only for an all-zero slice: dividing by 1 keeps it zero instead of NaN.
            if (norm.DType == DType.Float32) { var s = norm.AsSpan<float>(); for (int i = 0; i < s.Length; i++) if (s[i] == 0) s[i] = 1; }
            else { var s = norm.AsSpan<double>(); for (int i = 0; i < s.Length; i++) if (s[i] == 0) s[i] = 1; }
            var r = Arithmetic.Div(x, norm);
            Elementwise.Release(norm);
            return r;
        });
    }

    /// <summary>(x − E[x]) / (√(E[x²] − E[x]²) + 1e−9) over <c>axes</c> (the ONNX function body, step by step).</summary>
    [Op("MeanVarianceNormalization", 9)]
    public static Tensor MeanVarianceNormalization(Tensor X, long[]? axes = null)
    {
        var ax = axes ?? [0, 2, 3];
        return Floating(X, x =>
        {
            var mean = Reductions.Run(x, ax, keepDims: true, Reductions.Kind.Mean);
            var sq = Elementwise.Multiply(x, x);
            var meanSq = Reductions.Run(sq, ax, keepDims: true, Reductions.Kind.Mean);
            Elementwise.Release(sq);
            var m2 = Elementwise.Multiply(mean, mean);
            var variance = Elementwise.Subtract(meanSq, m2);
            var std = UnaryMath.Sqrt(variance);
            var denom = Elementwise.Add(std, Elementwise.ScalarOf(x.DType, 1e-9f));
            var centered = Elementwise.Subtract(x, mean);
            var r = Arithmetic.Div(centered, denom);
            foreach (var t in new[] { mean, meanSq, m2, variance, std, denom, centered }) Elementwise.Release(t);
            return r;
        });
    }

    /// <summary>Across channels: y = x / (bias + α/size · Σ x²)^β, the sum over channels
    /// c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉ (clipped to the valid range).</summary>
    [Op("LRN", 1)]
    public static Tensor LRN(Tensor X, long size, float alpha = 1e-4f, float beta = 0.75f, float bias = 1f)
    {
        if (X.Rank < 2) throw new ArgumentException($"X must have rank ≥ 2, got {X.ShapeString}");
        return Floating(X, x => x.DType == DType.Float32 ? Lrn<float>(x, (int)size, alpha, beta, bias) : Lrn<double>(x, (int)size, alpha, beta, bias));
    }

    private static Tensor Lrn<T>(Tensor x, int size, float alpha, float beta, float bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor.Empty(x.DType, x.Shape);
        int n = x.Shape[0], c = x.Shape[1];
        if (y.Length == 0) return y;
        int plane = x.Length / (n * c);
        var src = (T[])x.Data;
        var dst = (T[])y.Data;
        var sq = new T[x.Length];
        TP.Multiply<T>(src.AsSpan(0, x.Length), src.AsSpan(0, x.Length), sq);
        int before = (size - 1) / 2, after = size - 1 - before;
        T scale = T.CreateTruncating(alpha / size), k = T.CreateTruncating(bias), e = T.CreateTruncating(-beta);
        Elementwise.ForRows(n * c, x.Length, plane, (p0, p1) =>
        {
            var acc = new T[plane];
            for (int p = p0; p < p1; p++)
            {
                int b = p / c, ch = p % c;
                Array.Clear(acc);
                for (int j = Math.Max(0, ch - before); j <= Math.Min(c - 1, ch + after); j++)
                    TP.Add(acc, sq.AsSpan((b * c + j) * plane, plane), acc);
                TP.Multiply(acc, scale, acc);
                TP.Add(acc, k, acc);
                TP.Pow(acc, e, acc);
                TP.Multiply(src.AsSpan(p * plane, plane), acc, dst.AsSpan(p * plane, plane));
            }
        });
        return y;
    }

    /// <summary>Runs f on float32/float64 directly and on float16/bfloat16 through float32.</summary>
    private static Tensor Floating(Tensor x, Func<Tensor, Tensor> f) => x.DType switch
    {
        DType.Float32 or DType.Float64 => f(x),
        DType.Float16 or DType.BFloat16 => Elementwise.ViaFloat32(x, f),
        _ => throw new NotSupportedException($"needs a floating-point input, got {x.DType.Name()}"),
    };
}
