using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LowBit.Kernels;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of BatchNormalization (per channel over N and the spatial dims, m = N·plane values). In training the forward
/// normalized with the batch statistics it left in <see cref="BatchNormSaved"/> (μ, r = 1/√(σ² + ε)); with
/// x̂ = (x − μ)·r, S₁ = Σ dY and S₂ = Σ dY·(x − μ):
/// <code>
/// dβ = S₁        dγ = r·S₂        dX = γr·(dY − S₁/m − x̂·r·S₂/m) = a·dY + b·x + k
/// a = γr,  b = −γr³·S₂/m,  k = −a·S₁/m − b·μ
/// </code>
/// Without saved statistics (a graph run with inference statistics) μ and σ² are constants: b = k = 0. The running
/// mean and variance inputs get no gradient.
/// </summary>
internal static class BatchNormGrad
{
    [Grad("BatchNormalization", 1)]
    public static Tensor?[] BatchNormalization(GradContext ctx, Tensor X, Tensor scale, Tensor B, Tensor mean, Tensor var, float epsilon = 1e-5f)
    {
        if (!X.DType.IsFloat()) return [null, null, null, null, null];
        int n = X.Shape[0], c = X.Shape[1], plane = X.Length / Math.Max(1, n * c);
        if (scale.Length != c) throw new NotSupportedException("BatchNormalization backward needs per-channel (spatial) statistics");
        bool batch = ctx.Saved is BatchNormSaved;
        float[] mu, inv;
        if (ctx.Saved is BatchNormSaved saved) (mu, inv) = (saved.Mean, saved.InvStd);
        else
        {
            mu = mean.ToFloatArray();
            inv = var.ToFloatArray().Select(v => 1f / MathF.Sqrt(v + epsilon)).ToArray();
        }
        var x = (float[])Elementwise.ToFloat32(X).Data;
        var dy = (float[])Elementwise.ToFloat32(ctx.OutputGrad()).Data;
        var (s1, s2) = BatchNormKernels.GradSums(x, dy, mu, n, c, plane);
        Tensor? dx = null;
        if (ctx.Needs(0))
        {
            var gamma = scale.ToFloatArray();
            double count = (double)n * plane;
            var a = new float[c];
            var b = new float[c];
            var k = new float[c];
            for (int ch = 0; ch < c; ch++)
            {
                double r = inv[ch], ar = gamma[ch] * r;
                double bb = batch ? -ar * r * r * s2[ch] / count : 0;
                a[ch] = (float)ar;
                b[ch] = (float)bb;
                k[ch] = batch ? (float)(-ar * s1[ch] / count - bb * mu[ch]) : 0f;
            }
            var r32 = Tensor.Empty(DType.Float32, X.Shape);
            BatchNormKernels.Affine2((float[])r32.Data, dy, x, a, b, k, n, c, plane);
            dx = GradElementwise.Pass(X, r32);
        }
        Tensor? dScale = ctx.Needs(1) ? Param(scale, Enumerable.Range(0, c).Select(ch => inv[ch] * s2[ch]).ToArray()) : null;
        Tensor? dBias = ctx.Needs(2) ? Param(B, s1) : null;
        return [dx, dScale, dBias, null, null];
    }

    private static Tensor Param(Tensor like, double[] values) =>
        GradElementwise.Pass(like, Tensor.FromArray(values.Select(v => (float)v).ToArray(), like.Shape));
}

/// <summary>
/// Per-channel passes over float32 [N, C, plane] tensors for BatchNormalization training: channels split across
/// threads, each plane a vector loop, sums accumulated in double across planes (a plane's float sum of a few hundred
/// values loses far less than the statistics' own sampling noise).
/// </summary>
internal static class BatchNormKernels
{
    /// <summary>Batch mean and population variance per channel (two passes: the centered sum of squares avoids the
    /// cancellation of E[x²] − μ²).</summary>
    public static (double[] Mean, double[] Var) Moments(float[] x, int n, int c, int plane)
    {
        var mean = new double[c];
        var variance = new double[c];
        double count = (double)n * plane;
        ForChannels(n, c, plane, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += System.Numerics.Tensors.TensorPrimitives.Sum<float>(x.AsSpan((i * c + ch) * plane, plane));
                double m = sum / count, sq = 0;
                for (int i = 0; i < n; i++) sq += SquaredDeviation(x.AsSpan((i * c + ch) * plane, plane), (float)m);
                mean[ch] = m;
                variance[ch] = sq / count;
            }
        });
        return (mean, variance);
    }

    /// <summary>S₁[c] = Σ dY, S₂[c] = Σ dY·(x − μ[c]) over the channel's planes.</summary>
    public static (double[] S1, double[] S2) GradSums(float[] x, float[] dy, float[] mu, int n, int c, int plane)
    {
        var s1 = new double[c];
        var s2 = new double[c];
        ForChannels(n, c, plane, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                double a = 0, b = 0;
                for (int i = 0; i < n; i++)
                {
                    int off = (i * c + ch) * plane;
                    var (p, q) = SumAndCenteredDot(dy.AsSpan(off, plane), x.AsSpan(off, plane), mu[ch]);
                    a += p;
                    b += q;
                }
                s1[ch] = a;
                s2[ch] = b;
            }
        });
        return (s1, s2);
    }

    /// <summary>dst = a[c]·dy + b[c]·x + k[c] per plane of channel c.</summary>
    public static void Affine2(float[] dst, float[] dy, float[] x, float[] a, float[] b, float[] k, int n, int c, int plane)
    {
        int planes = n * c;
        Parallelism.ForRange(planes, Math.Max(1, Elementwise.ParallelGrain / Math.Max(1, plane)), (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                int ch = p % c;
                Affine2(dst.AsSpan(p * plane, plane), dy.AsSpan(p * plane, plane), x.AsSpan(p * plane, plane), a[ch], b[ch], k[ch]);
            }
        });
    }

    private static void ForChannels(int n, int c, int plane, Action<int, int> body) =>
        Parallelism.ForRange(c, Math.Max(1, Elementwise.ParallelGrain / Math.Max(1, n * plane)), body);

    private static double SquaredDeviation(ReadOnlySpan<float> x, float m)
    {
        int i = 0;
        double total = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            ref float r = ref MemoryMarshal.GetReference(x);
            var acc = Vector256<float>.Zero;
            var mv = Vector256.Create(m);
            for (; i <= x.Length - 8; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref r, (nuint)i) - mv;
                acc = Vector256.FusedMultiplyAdd(d, d, acc);
            }
            total = Vector256.Sum(acc);
        }
        for (; i < x.Length; i++) total += (double)(x[i] - m) * (x[i] - m);
        return total;
    }

    private static (double Sum, double Dot) SumAndCenteredDot(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float m)
    {
        int i = 0;
        double sum = 0, dot = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            ref float g = ref MemoryMarshal.GetReference(dy);
            ref float r = ref MemoryMarshal.GetReference(x);
            Vector256<float> s = Vector256<float>.Zero, d = Vector256<float>.Zero, mv = Vector256.Create(m);
            for (; i <= x.Length - 8; i += 8)
            {
                var gv = Vector256.LoadUnsafe(ref g, (nuint)i);
                s += gv;
                d = Vector256.FusedMultiplyAdd(gv, Vector256.LoadUnsafe(ref r, (nuint)i) - mv, d);
            }
            sum = Vector256.Sum(s);
            dot = Vector256.Sum(d);
        }
        for (; i < x.Length; i++)
        {
            sum += dy[i];
            dot += (double)dy[i] * (x[i] - m);
        }
        return (sum, dot);
    }

    private static void Affine2(Span<float> dst, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float a, float b, float k)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float g = ref MemoryMarshal.GetReference(dy);
            ref float r = ref MemoryMarshal.GetReference(x);
            ref float o = ref MemoryMarshal.GetReference(dst);
            Vector256<float> av = Vector256.Create(a), bv = Vector256.Create(b), kv = Vector256.Create(k);
            for (; i <= dst.Length - 8; i += 8)
                Vector256.FusedMultiplyAdd(av, Vector256.LoadUnsafe(ref g, (nuint)i), Vector256.FusedMultiplyAdd(bv, Vector256.LoadUnsafe(ref r, (nuint)i), kv))
                    .StoreUnsafe(ref o, (nuint)i);
        }
        for (; i < dst.Length; i++) dst[i] = MathF.FusedMultiplyAdd(a, dy[i], MathF.FusedMultiplyAdd(b, x[i], k));
    }
}
