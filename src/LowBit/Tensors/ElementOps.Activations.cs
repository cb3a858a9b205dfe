using System.Runtime.Intrinsics;

namespace LowBit.Tensors;

// Activation functions as unary operators: a 256-bit float32 form (vectorized, both branches computed then selected)
// and a float64 scalar form. Parameters (alpha, ...) are fields of the struct.

internal readonly struct LeakyReluOp(float alpha) : IVectorUnaryOp<float>, IUnaryOp<double>
{
    public float Apply(float x) => x < 0 ? alpha * x : x;
    public double Apply(double x) => x < 0 ? alpha * x : x;
    public Vector256<float> Apply(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), x * alpha, x);
}

/// <summary>x ≥ 0: x; x &lt; 0: α(eˣ − 1).</summary>
internal readonly struct EluOp(float alpha) : IVectorUnaryOp<float>, IUnaryOp<double>
{
    public float Apply(float x) => x < 0 ? alpha * (MathF.Exp(x) - 1) : x;
    public double Apply(double x) => x < 0 ? alpha * (Math.Exp(x) - 1) : x;
    public Vector256<float> Apply(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), (Vector256.Exp(x) - Vector256<float>.One) * alpha, x);
}

/// <summary>γ·(x &gt; 0 ? x : α(eˣ − 1)).</summary>
internal readonly struct SeluOp(float alpha, float gamma) : IVectorUnaryOp<float>, IUnaryOp<double>
{
    public float Apply(float x) => gamma * (x > 0 ? x : alpha * (MathF.Exp(x) - 1));
    public double Apply(double x) => gamma * (x > 0 ? x : alpha * (Math.Exp(x) - 1));
    public Vector256<float> Apply(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, (Vector256.Exp(x) - Vector256<float>.One) * alpha) * gamma;
}

/// <summary>max(0, x) + min(0, α(e^(x/α) − 1)).</summary>
internal readonly struct CeluOp(float alpha) : IVectorUnaryOp<float>, IUnaryOp<double>
{
    public float Apply(float x) => MathF.Max(0, x) + MathF.Min(0, alpha * (MathF.Exp(x / alpha) - 1));
    public double Apply(double x) => Math.Max(0, x) + Math.Min(0, alpha * (Math.Exp(x / alpha) - 1));
    public Vector256<float> Apply(Vector256<float> x) =>
        Vector256.Max(Vector256<float>.Zero, x) + Vector256.Min(Vector256<float>.Zero, (Vector256.Exp(x / alpha) - Vector256<float>.One) * alpha);
}

internal readonly struct ThresholdedReluOp(float alpha) : IVectorUnaryOp<float>, IUnaryOp<double>
{
    public float Apply(float x) => x > alpha ? x : 0;
    public double Apply(double x) => x > alpha ? x : 0;
    public Vector256<float> Apply(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(alpha)), x, Vector256<float>.Zero);
}

/// <summary>max(0, min(1, αx + β)); with <c>Swish</c> the result is multiplied by x (HardSwish: α = 1/6, β = 1/2).</summary>
internal readonly struct HardSigmoidOp(float alpha, float beta, bool swish) : IVectorUnaryOp<float>, IUnaryOp<double>
{
    public float Apply(float x)
    {
        float h = MathF.Max(0, MathF.Min(1, alpha * x + beta));
        return swish ? x * h : h;
    }

    public double Apply(double x)
    {
        double h = Math.Max(0, Math.Min(1, alpha * x + beta));
        return swish ? x * h : h;
    }

    public Vector256<float> Apply(Vector256<float> x)
    {
        var h = Vector256.Max(Vector256<float>.Zero, Vector256.Min(Vector256<float>.One, x * alpha + Vector256.Create(beta)));
        return swish ? x * h : h;
    }
}

/// <summary>softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)); log1p(e) ≈ e − e²/2 for e &lt; 1e−4 keeps
/// relative accuracy where 1 + e rounds to 1.</summary>
internal readonly struct SoftplusOp : IVectorUnaryOp<float>, IUnaryOp<double>
{
    public float Apply(float x) => MathF.Max(x, 0) + Log1pExp(-MathF.Abs(x));
    public double Apply(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    private static float Log1pExp(float negAbs)
    {
        float e = MathF.Exp(negAbs);
        return e < 1e-4f ? e - 0.5f * e * e : MathF.Log(1 + e);
    }

    public Vector256<float> Apply(Vector256<float> x)
    {
        var e = Vector256.Exp(-Vector256.Abs(x));
        var log = Vector256.ConditionalSelect(Vector256.LessThan(e, Vector256.Create(1e-4f)), e - e * e * 0.5f, Vector256.Log(Vector256<float>.One + e));
        return Vector256.Max(x, Vector256<float>.Zero) + log;
    }
}

internal readonly struct SoftsignOp : IVectorUnaryOp<float>, IUnaryOp<double>
{
    public float Apply(float x) => x / (1 + MathF.Abs(x));
    public double Apply(double x) => x / (1 + Math.Abs(x));
    public Vector256<float> Apply(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Abs(x));
}

/// <summary>mish(x) = x·tanh(softplus(x)) = x·n/(n + 2) with n = eˣ(eˣ + 2) (no cancellation for x ≪ 0);
/// x itself beyond 20, where tanh(softplus(x)) = 1 in float and eˣ would overflow.</summary>
internal readonly struct MishOp : IVectorUnaryOp<float>, IUnaryOp<double>
{
    public float Apply(float x)
    {
        if (x > 20) return x;
        float e = MathF.Exp(x), n = e * (e + 2);
        return x * n / (n + 2);
    }

    public double Apply(double x)
    {
        if (x > 40) return x;
        double e = Math.Exp(x), n = e * (e + 2);
        return x * n / (n + 2);
    }

    public Vector256<float> Apply(Vector256<float> x)
    {
        var e = Vector256.Exp(Vector256.Min(x, Vector256.Create(20f)));
        var n = e * (e + Vector256.Create(2f));
        var m = x * n / (n + Vector256.Create(2f));
        return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(20f)), x, m);
    }
}

/// <summary>gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2)).</summary>
internal readonly struct GeluOp : IVectorUnaryOp<float>, IUnaryOp<double>
{
    private const float InvSqrt2 = 0.70710678118654752f;
    public float Apply(float x) => 0.5f * x * (1 + ErfMath.Erf(x * InvSqrt2));
    public double Apply(double x) => 0.5 * x * (1 + ErfMath.Erf(x / Math.Sqrt(2)));
    public Vector256<float> Apply(Vector256<float> x) => x * 0.5f * (Vector256<float>.One + ErfMath.Erf(x * InvSqrt2));
}

/// <summary>tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))), tanh(y) = sign(y)(1 − 2/(e^(2|y|) + 1)).</summary>
internal readonly struct GeluTanhOp : IVectorUnaryOp<float>, IUnaryOp<double>
{
    private const float K = 0.7978845608028654f, C = 0.044715f;
    public float Apply(float x) => 0.5f * x * (1 + MathF.Tanh(K * (x + C * x * x * x)));
    public double Apply(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    public Vector256<float> Apply(Vector256<float> x)
    {
        var y = (x + x * x * x * C) * K;
        var t = Vector256<float>.One - Vector256.Create(2f) / (Vector256.Exp(Vector256.Abs(y) * 2f) + Vector256<float>.One);
        return x * 0.5f * (Vector256<float>.One + Vector256.CopySign(t, y));
    }
}

/// <summary>x·a + b (one fused pass: BatchNormalization's per-channel affine map).</summary>
internal readonly struct AffineOp(float a, float b) : IVectorUnaryOp<float>, IUnaryOp<double>
{
    public float Apply(float x) => MathF.FusedMultiplyAdd(x, a, b);
    public double Apply(double x) => x * a + b;
    public Vector256<float> Apply(Vector256<float> x) => Vector256.FusedMultiplyAdd(x, Vector256.Create(a), Vector256.Create(b));
}
