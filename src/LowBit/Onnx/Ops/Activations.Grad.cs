using System.Runtime.Intrinsics;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Backward of the activations, dX = dY·f'(x). At the kinks the one-sided choice matches PyTorch: ReLU passes where
/// y &gt; 0, LeakyReLU where x &gt; 0, HardSigmoid strictly inside (0, 1), HardSwish uses (2x + 3)/6 on [−3, 3].
/// </summary>
internal static class ActivationsGrad
{
    [Grad("Relu", 1)]
    public static Tensor?[] Relu(GradContext ctx, Tensor X) =>
        [X.DType.IsFloat() ? GradElementwise.Map(X, null, ctx.Outputs[0], ctx.OutputGrad(), new ReluGrad()) : null];

    [Grad("LeakyRelu", 1)]
    public static Tensor?[] LeakyRelu(GradContext ctx, Tensor X, float alpha = 0.01f) =>
        [GradElementwise.Map(X, X, null, ctx.OutputGrad(), new LeakyReluGrad(alpha))];

    [Grad("HardSigmoid", 1)]
    public static Tensor?[] HardSigmoid(GradContext ctx, Tensor X, float alpha = 0.2f, float beta = 0.5f) =>
        [GradElementwise.Map(X, X, null, ctx.OutputGrad(), new HardSigmoidGrad(alpha, beta))];

    [Grad("HardSwish", 14)]
    public static Tensor?[] HardSwish(GradContext ctx, Tensor X) =>
        [GradElementwise.Map(X, X, null, ctx.OutputGrad(), new HardSwishGrad())];

    [Grad("Gelu", 20)]
    public static Tensor?[] Gelu(GradContext ctx, Tensor X, string approximate = "none") => approximate switch
    {
        "none" => [GradElementwise.Map(X, X, null, ctx.OutputGrad(), new GeluGrad())],
        "tanh" => [GradElementwise.Map(X, X, null, ctx.OutputGrad(), new GeluTanhGrad())],
        _ => throw new ArgumentException($"Gelu approximate must be 'none' or 'tanh', not '{approximate}'"),
    };

    private readonly struct ReluGrad : IGradOp
    {
        public float Apply(float x, float y, float dy) => y > 0 ? dy : 0f;
        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), dy, Vector256<float>.Zero);
    }

    private readonly struct LeakyReluGrad(float alpha) : IGradOp
    {
        public float Apply(float x, float y, float dy) => x > 0 ? dy : alpha * dy;
        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy, dy * alpha);
    }

    /// <summary>h = αx + β; dh/dx = α where 0 &lt; h &lt; 1.</summary>
    private readonly struct HardSigmoidGrad(float alpha, float beta) : IGradOp
    {
        public float Apply(float x, float y, float dy)
        {
            float h = alpha * x + beta;
            return h > 0 && h < 1 ? alpha * dy : 0f;
        }

        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy)
        {
            var h = x * alpha + Vector256.Create(beta);
            var inside = Vector256.GreaterThan(h, Vector256<float>.Zero) & Vector256.LessThan(h, Vector256<float>.One);
            return Vector256.ConditionalSelect(inside, dy * alpha, Vector256<float>.Zero);
        }
    }

    /// <summary>y = x·clip(x/6 + ½, 0, 1): y' = 0 below −3, x/3 + ½ on [−3, 3], 1 above.</summary>
    private readonly struct HardSwishGrad : IGradOp
    {
        public float Apply(float x, float y, float dy) => x < -3 ? 0f : x <= 3 ? dy * (x / 3 + 0.5f) : dy;

        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy)
        {
            var mid = dy * (x * (1f / 3) + Vector256.Create(0.5f));
            var r = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256.Create(3f)), mid, dy);
            return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-3f)), Vector256<float>.Zero, r);
        }
    }

    /// <summary>GELU(x) = x·Φ(x): y' = Φ(x) + x·φ(x), Φ(x) = ½(1 + erf(x/√2)), φ(x) = e^(−x²/2)/√(2π).</summary>
    private readonly struct GeluGrad : IGradOp
    {
        private const float InvSqrt2 = 0.70710678118654752f, InvSqrt2Pi = 0.3989422804014327f;

        public float Apply(float x, float y, float dy) =>
            dy * (0.5f * (1 + ErfMath.Erf(x * InvSqrt2)) + x * InvSqrt2Pi * MathF.Exp(-0.5f * x * x));

        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy)
        {
            var cdf = (Vector256<float>.One + ErfMath.Erf(x * InvSqrt2)) * 0.5f;
            var pdf = Vector256.Exp(x * x * -0.5f) * InvSqrt2Pi;
            return dy * (cdf + x * pdf);
        }
    }

    /// <summary>y = ½x(1 + t), t = tanh(u), u = k(x + cx³): y' = ½(1 + t) + ½x(1 − t²)·k(1 + 3cx²).</summary>
    private readonly struct GeluTanhGrad : IGradOp
    {
        private const float K = 0.7978845608028654f, C = 0.044715f;

        public float Apply(float x, float y, float dy)
        {
            float t = MathF.Tanh(K * (x + C * x * x * x));
            return dy * (0.5f * (1 + t) + 0.5f * x * (1 - t * t) * K * (1 + 3 * C * x * x));
        }

        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy)
        {
            var x2 = x * x;
            var u = (x + x2 * x * C) * K;
            // tanh(u) = sign(u)(1 − 2/(e^(2|u|) + 1)): no overflow for large |u|.
            var t = Vector256.CopySign(Vector256<float>.One - Vector256.Create(2f) / (Vector256.Exp(Vector256.Abs(u) * 2f) + Vector256<float>.One), u);
            var half = Vector256.Create(0.5f);
            return dy * (half * (Vector256<float>.One + t) + half * x * (Vector256<float>.One - t * t) * K * (Vector256<float>.One + x2 * (3 * C)));
        }
    }
}
