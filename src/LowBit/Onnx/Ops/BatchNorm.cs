using LowBit.Kernels;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>Batch statistics a training BatchNormalization leaves in <see cref="OpContext.Saved"/> for its backward:
/// per-channel batch mean and 1/√(var + ε) (population variance over N and the spatial dims).</summary>
internal sealed record BatchNormSaved(float[] Mean, float[] InvStd);

/// <summary>
/// BatchNormalization. Inference: y = (x − μ)/√(σ² + ε)·γ + β per channel (axis 1), applied as one fused pass
/// y = a·x + b with a = γ/√(σ² + ε), b = β − μ·a per [H·W] plane (memory-bound, vectorized). Opset &lt; 9 with
/// spatial=0: statistics per feature (shape X.shape[1..]) instead of per channel. Training (opset 14+ training_mode=1,
/// or a training session): batch statistics normalize, and the running statistics become
/// momentum·running + (1 − momentum)·batch (outputs 1 and 2; a training session also updates them in place, the
/// variance with the unbiased batch estimate) and leaves <see cref="BatchNormSaved"/> for the backward (BatchNorm.Grad.cs).
/// </summary>
internal static class BatchNorm
{
    [Op("BatchNormalization", 14)]
    public static Tensor?[] BatchNormalization(OpContext ctx, Tensor X, Tensor scale, Tensor B, Tensor input_mean, Tensor input_var,
        float epsilon = 1e-5f, float momentum = 0.9f, long training_mode = 0) =>
        Run(ctx, X, scale, B, input_mean, input_var, epsilon, momentum, training_mode != 0 || ctx.Training, spatial: true);

    /// <summary>Opset 9–13: outputs 1–4 (running mean/var, saved mean/var) only exist in training graphs.</summary>
    [Op("BatchNormalization", 9)]
    public static Tensor?[] BatchNormalization9(OpContext ctx, Tensor X, Tensor scale, Tensor B, Tensor mean, Tensor var,
        float epsilon = 1e-5f, float momentum = 0.9f) =>
        Run(ctx, X, scale, B, mean, var, epsilon, momentum, ctx.Training || ctx.WantsOutput(1) || ctx.WantsOutput(2), spatial: true);

    /// <summary>Opset 1–8: <c>spatial</c> (default 1); <c>is_test</c> and <c>consumed_inputs</c> are ignored.</summary>
    [Op("BatchNormalization", 1)]
    public static Tensor?[] BatchNormalizationLegacy(OpContext ctx, Tensor X, Tensor scale, Tensor B, Tensor mean, Tensor var,
        float epsilon = 1e-5f, float momentum = 0.9f, long spatial = 1) =>
        Run(ctx, X, scale, B, mean, var, epsilon, momentum, ctx.Training, spatial != 0);

    private static Tensor?[] Run(OpContext ctx, Tensor x, Tensor scale, Tensor bias, Tensor mean, Tensor var,
        float eps, float momentum, bool training, bool spatial)
    {
        if (x.Rank < 2) throw new ArgumentException($"X must have rank ≥ 2 (N, C, ...), got {x.ShapeString}");
        int n = x.Shape[0], c = x.Shape[1];
        int plane = x.Length / Math.Max(1, n * c);
        // Per-channel parameters have C values; per-feature (spatial=0) ones have C·plane.
        int width = spatial || scale.Length == c ? c : c * plane;
        double[] g = Values(scale, width, "scale"), b = Values(bias, width, "B"), mu = Values(mean, width, "mean"), v = Values(var, width, "var");
        var outputs = new Tensor?[Math.Max(1, ctx.OutputCount)];
        if (training)
        {
            if (width != c) throw new NotSupportedException("training-mode BatchNormalization needs per-channel (spatial) statistics");
            var (bm, bv) = x.DType == DType.Float32 ? BatchNormKernels.Moments((float[])x.Data, n, c, plane) : BatchStats(x, n, c, plane);
            var newMean = new double[c];
            var newVar = new double[c];
            for (int i = 0; i < c; i++)
            {
                newMean[i] = momentum * mu[i] + (1 - momentum) * bm[i];
                newVar[i] = momentum * v[i] + (1 - momentum) * bv[i];
            }
            if (ctx.Training)
            {
                // In a training session the running variance takes the unbiased batch variance σ²·m/(m − 1), m = N·plane,
                // as PyTorch does: the running statistics then match a PyTorch-trained model's and estimate the population
                // variance the exported model normalizes with. Normalization itself and ONNX outputs 1–2 (spec reference)
                // use the biased σ².
                double count = (double)n * plane, unbias = count > 1 ? count / (count - 1) : 1;
                for (int i = 0; i < c; i++)
                {
                    mean.SetDouble(i, newMean[i]);
                    var.SetDouble(i, momentum * v[i] + (1 - momentum) * bv[i] * unbias);
                }
                ctx.Saved = new BatchNormSaved(bm.Select(m => (float)m).ToArray(), bv.Select(s => (float)(1 / Math.Sqrt(s + eps))).ToArray());
            }
            // Outputs 1–2: running statistics; 3–4 (opset 9–13 only): the batch mean and variance.
            double[][] extra = [newMean, newVar, bm, bv];
            for (int o = 1; o < outputs.Length && o <= 4; o++)
            {
                var t = Tensor.Empty(mean.DType, mean.Shape);
                for (int i = 0; i < c; i++) t.SetDouble(i, extra[o - 1][i]);
                outputs[o] = t;
            }
            mu = bm;
            v = bv;
        }
        var a = new double[width];
        var shift = new double[width];
        for (int i = 0; i < width; i++)
        {
            a[i] = g[i] / Math.Sqrt(v[i] + eps);
            shift[i] = b[i] - mu[i] * a[i];
        }
        outputs[0] = x.DType switch
        {
            DType.Float32 => Affine32(x, a, shift, n, width, x.Length / Math.Max(1, n * width)),
            DType.Float64 => Affine64(x, a, shift, n, width, x.Length / Math.Max(1, n * width)),
            DType.Float16 or DType.BFloat16 => Elementwise.ViaFloat32(x, f => Affine32(f, a, shift, n, width, x.Length / Math.Max(1, n * width))),
            _ => throw new NotSupportedException($"BatchNormalization needs a floating-point X, got {x.DType.Name()}"),
        };
        return outputs;
    }

    private static double[] Values(Tensor t, int width, string name)
    {
        if (t.Length != width) throw new ArgumentException($"{name} has {t.Length} values, expected {width}");
        return t.ToDoubleArray();
    }

    /// <summary>Per-channel mean and population variance over N and the plane (two passes, float64 accumulation).</summary>
    private static (double[] Mean, double[] Var) BatchStats(Tensor x, int n, int c, int plane)
    {
        var f = Elementwise.Cast(x, DType.Float64);
        var s = f.AsReadOnlySpan<double>();
        var mean = new double[c];
        var variance = new double[c];
        double count = (double)n * plane;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += TP.Sum(s.Slice((i * c + ch) * plane, plane));
            double m = sum / count, sq = 0;
            for (int i = 0; i < n; i++)
                foreach (double e in s.Slice((i * c + ch) * plane, plane)) sq += (e - m) * (e - m);
            mean[ch] = m;
            variance[ch] = sq / count;
        }
        Elementwise.Release(f, x);
        return (mean, variance);
    }

    /// <summary>y = a·x + b per plane of <paramref name="plane"/> elements; planes cycle through <paramref name="width"/>
    /// parameter pairs (channels). Planes of one element (X is [N, C]) use row-wise vector FMA instead.</summary>
    private static Tensor Affine32(Tensor x, double[] a, double[] b, int n, int width, int plane)
    {
        var y = Tensor.Empty(DType.Float32, x.Shape);
        var src = (float[])x.Data;
        var dst = (float[])y.Data;
        if (plane == 1)
        {
            float[] af = a.Select(v => (float)v).ToArray(), bf = b.Select(v => (float)v).ToArray();
            Parallelism.ForRange(n, x.Length >= 2 * Elementwise.ParallelGrain ? Math.Max(1, Elementwise.ParallelGrain / width) : int.MaxValue, (r0, r1) =>
            {
                for (int row = r0; row < r1; row++)
                    TP.MultiplyAdd(src.AsSpan(row * width, width), af, bf, dst.AsSpan(row * width, width));
            });
            return y;
        }
        int planes = n * width;
        Parallelism.ForRange(planes, x.Length >= 2 * Elementwise.ParallelGrain ? Math.Max(1, Elementwise.ParallelGrain / plane) : int.MaxValue, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                int ch = p % width;
                Elementwise.MapVector(src.AsSpan(p * plane, plane), dst.AsSpan(p * plane, plane), new AffineOp((float)a[ch], (float)b[ch]));
            }
        });
        return y;
    }

    private static Tensor Affine64(Tensor x, double[] a, double[] b, int n, int width, int plane)
    {
        var y = Tensor.Empty(DType.Float64, x.Shape);
        var src = x.AsReadOnlySpan<double>();
        var dst = y.AsSpan<double>();
        for (int p = 0; p < n * width; p++)
        {
            int ch = p % width;
            var d = dst.Slice(p * plane, plane);
            TP.Multiply(src.Slice(p * plane, plane), a[ch], d);
            TP.Add(d, b[ch], d);
        }
        return y;
    }
}
