using System.Runtime.Intrinsics;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Backward of the element-wise math functions, written with the forward output where that is cheaper:
/// σ' = y(1 − y), tanh' = 1 − y², √' = 1/(2y), exp' = y, log' = 1/x, (−x)' = −1, erf' = 2/√π·e^(−x²),
/// |x|' = sign(x), (1/x)' = −y².</summary>
internal static class UnaryMathGrad
{
    [Grad("Sigmoid", 1)] public static Tensor?[] Sigmoid(GradContext ctx, Tensor X) => [Map(ctx, X, new SigmoidGrad())];
    [Grad("Tanh", 1)] public static Tensor?[] Tanh(GradContext ctx, Tensor input) => [Map(ctx, input, new TanhGrad())];
    [Grad("Sqrt", 1)] public static Tensor?[] Sqrt(GradContext ctx, Tensor X) => [Map(ctx, X, new SqrtGrad())];
    [Grad("Exp", 1)] public static Tensor?[] Exp(GradContext ctx, Tensor input) => [Map(ctx, input, new ExpGrad())];
    [Grad("Log", 1)] public static Tensor?[] Log(GradContext ctx, Tensor input) => [Map(ctx, input, new LogGrad())];
    [Grad("Erf", 9)] public static Tensor?[] Erf(GradContext ctx, Tensor input) => [Map(ctx, input, new ErfGrad())];
    [Grad("Abs", 1)] public static Tensor?[] Abs(GradContext ctx, Tensor X) => [Map(ctx, X, new AbsGrad())];
    [Grad("Reciprocal", 1)] public static Tensor?[] Reciprocal(GradContext ctx, Tensor X) => [Map(ctx, X, new ReciprocalGrad())];

    [Grad("Neg", 1)]
    public static Tensor?[] Neg(GradContext ctx, Tensor X) => [X.DType.IsFloat() ? GradElementwise.Scale(X, ctx.OutputGrad(), -1f) : null];

    private static Tensor? Map<TOp>(GradContext ctx, Tensor x, TOp op) where TOp : struct, IGradOp =>
        x.DType.IsFloat() ? GradElementwise.Map(x, x, ctx.Outputs[0], ctx.OutputGrad(), op) : null;

    private readonly struct SigmoidGrad : IGradOp
    {
        public float Apply(float x, float y, float dy) => dy * y * (1 - y);
        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy) => dy * y * (Vector256<float>.One - y);
    }

    private readonly struct TanhGrad : IGradOp
    {
        public float Apply(float x, float y, float dy) => dy * (1 - y * y);
        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy) => dy * (Vector256<float>.One - y * y);
    }

    private readonly struct SqrtGrad : IGradOp
    {
        public float Apply(float x, float y, float dy) => dy * 0.5f / y;
        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy) => dy * 0.5f / y;
    }

    private readonly struct ExpGrad : IGradOp
    {
        public float Apply(float x, float y, float dy) => dy * y;
        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy) => dy * y;
    }

    private readonly struct LogGrad : IGradOp
    {
        public float Apply(float x, float y, float dy) => dy / x;
        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy) => dy / x;
    }

    private readonly struct ErfGrad : IGradOp
    {
        private const float TwoOverSqrtPi = 1.1283791670955126f;
        public float Apply(float x, float y, float dy) => dy * TwoOverSqrtPi * MathF.Exp(-x * x);
        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy) => dy * TwoOverSqrtPi * Vector256.Exp(-(x * x));
    }

    /// <summary>sign(x)·dy with sign(0) = 0 (PyTorch's choice at the kink).</summary>
    private readonly struct AbsGrad : IGradOp
    {
        public float Apply(float x, float y, float dy) => x > 0 ? dy : x < 0 ? -dy : 0f;

        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy,
                Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -dy, Vector256<float>.Zero));
    }

    private readonly struct ReciprocalGrad : IGradOp
    {
        public float Apply(float x, float y, float dy) => -dy * y * y;
        public Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> dy) => -dy * y * y;
    }
}
