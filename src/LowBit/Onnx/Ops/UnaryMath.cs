using System.Numerics;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>Element-wise math functions. Floating functions run through TensorPrimitives (vectorized); float16/bfloat16
/// compute in float32. Opset revisions of these ops only widened the type lists.</summary>
internal static class UnaryMath
{
    [Op("Sqrt", 1)] public static Tensor Sqrt(Tensor X) => Elementwise.Float<SqrtK>(X);
    [Op("Exp", 1)] public static Tensor Exp(Tensor input) => Elementwise.Float<ExpK>(input);
    [Op("Log", 1)] public static Tensor Log(Tensor input) => Elementwise.Float<LogK>(input);
    [Op("Reciprocal", 1)] public static Tensor Reciprocal(Tensor X) => Elementwise.Float<ReciprocalK>(X);
    [Op("Floor", 1)] public static Tensor Floor(Tensor X) => Elementwise.Float<FloorK>(X);
    [Op("Ceil", 1)] public static Tensor Ceil(Tensor X) => Elementwise.Float<CeilK>(X);
    /// <summary>Round half to even (numpy rint).</summary>
    [Op("Round", 11)] public static Tensor Round(Tensor X) => Elementwise.Float<RoundK>(X);
    [Op("Sin", 7)] public static Tensor Sin(Tensor input) => Elementwise.Float<SinK>(input);
    [Op("Cos", 7)] public static Tensor Cos(Tensor input) => Elementwise.Float<CosK>(input);
    [Op("Tan", 7)] public static Tensor Tan(Tensor input) => Elementwise.Float<TanK>(input);
    [Op("Asin", 7)] public static Tensor Asin(Tensor input) => Elementwise.Float<AsinK>(input);
    [Op("Acos", 7)] public static Tensor Acos(Tensor input) => Elementwise.Float<AcosK>(input);
    [Op("Atan", 7)] public static Tensor Atan(Tensor input) => Elementwise.Float<AtanK>(input);
    [Op("Sinh", 9)] public static Tensor Sinh(Tensor input) => Elementwise.Float<SinhK>(input);
    [Op("Cosh", 9)] public static Tensor Cosh(Tensor input) => Elementwise.Float<CoshK>(input);
    [Op("Asinh", 9)] public static Tensor Asinh(Tensor input) => Elementwise.Float<AsinhK>(input);
    [Op("Acosh", 9)] public static Tensor Acosh(Tensor input) => Elementwise.Float<AcoshK>(input);
    [Op("Atanh", 9)] public static Tensor Atanh(Tensor input) => Elementwise.Float<AtanhK>(input);
    [Op("Tanh", 1)] public static Tensor Tanh(Tensor input) => Elementwise.Float<TanhK>(input);
    [Op("Sigmoid", 1)] public static Tensor Sigmoid(Tensor X) => Elementwise.Float<SigmoidK>(X);

    [Op("Erf", 9)]
    public static Tensor Erf(Tensor input) => input.DType.IsFloat() ? Elementwise.MapFloat(input, new ErfOp()) : Elementwise.Numeric<IntErfK>(input);

    /// <summary>Integers negate with wraparound (−MIN = MIN).</summary>
    [Op("Neg", 1)] public static Tensor Neg(Tensor X) => Elementwise.Numeric<NegK>(X);
    /// <summary>Integers: |MIN| wraps to MIN, as in C.</summary>
    [Op("Abs", 1)] public static Tensor Abs(Tensor X) => Elementwise.Numeric<AbsK>(X);
    /// <summary>−1, 0 or 1 in the input type; NaN stays NaN.</summary>
    [Op("Sign", 9)] public static Tensor Sign(Tensor input) => Elementwise.Numeric<SignK>(input);

    private readonly struct SqrtK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Sqrt(x, d); }
    private readonly struct ExpK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Exp(x, d); }
    private readonly struct LogK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Log(x, d); }
    private readonly struct ReciprocalK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Reciprocal(x, d); }
    private readonly struct FloorK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Floor(x, d); }
    private readonly struct CeilK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Ceiling(x, d); }
    private readonly struct RoundK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Round(x, MidpointRounding.ToEven, d); }
    private readonly struct SinK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Sin(x, d); }
    private readonly struct CosK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Cos(x, d); }
    private readonly struct TanK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Tan(x, d); }
    private readonly struct AsinK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Asin(x, d); }
    private readonly struct AcosK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Acos(x, d); }
    private readonly struct AtanK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Atan(x, d); }
    private readonly struct SinhK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Sinh(x, d); }
    private readonly struct CoshK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Cosh(x, d); }
    private readonly struct AsinhK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Asinh(x, d); }
    private readonly struct AcoshK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Acosh(x, d); }
    private readonly struct AtanhK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Atanh(x, d); }
    private readonly struct TanhK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Tanh(x, d); }
    private readonly struct SigmoidK : IFloatKernel { public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Sigmoid(x, d); }

    private readonly struct NegK : INumericKernel
    {
        public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = T.Zero - x[i];
        }
    }

    private readonly struct AbsK : INumericKernel
    {
        public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
        {
            if (typeof(T) == typeof(float) || typeof(T) == typeof(double)) { TP.Abs(x, d); return; }
            for (int i = 0; i < d.Length; i++) d[i] = x[i] < T.Zero ? T.Zero - x[i] : x[i];
        }
    }

    private readonly struct SignK : INumericKernel
    {
        public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = x[i] > T.Zero ? T.One : x[i] < T.Zero ? T.Zero - T.One : x[i];
        }
    }

    /// <summary>Integer Erf (the spec lists integer types): erf of the value, truncated (−1, 0 or 1).</summary>
    private readonly struct IntErfK : INumericKernel
    {
        public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(ErfMath.Erf(double.CreateTruncating(x[i])));
        }
    }

    private readonly struct ErfOp : IVectorUnaryOp<float>, IUnaryOp<double>
    {
        public float Apply(float x) => ErfMath.Erf(x);
        public System.Runtime.Intrinsics.Vector256<float> Apply(System.Runtime.Intrinsics.Vector256<float> x) => ErfMath.Erf(x);
        public double Apply(double x) => ErfMath.Erf(x);
    }
}
