using System.Numerics;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>Activation functions. Legacy attributes (consumed_inputs in opset 1) are ignored; the formulas did not
/// change across opsets, only the type lists.</summary>
internal static class Activations
{
    /// <summary>max(x, 0); integer types from opset 14. NaN stays NaN.</summary>
    [Op("Relu", 1)]
    public static Tensor Relu(Tensor X) => Elementwise.Numeric<ReluK>(X);

    [Op("LeakyRelu", 1)]
    public static Tensor LeakyRelu(Tensor X, float alpha = 0.01f) => Elementwise.MapFloat(X, new LeakyReluOp(alpha));

    [Op("Elu", 1)]
    public static Tensor Elu(Tensor X, float alpha = 1f) => Elementwise.MapFloat(X, new EluOp(alpha));

    [Op("Selu", 1)]
    public static Tensor Selu(Tensor X, float alpha = 1.67326319217681884765625f, float gamma = 1.05070102214813232421875f) =>
        Elementwise.MapFloat(X, new SeluOp(alpha, gamma));

    [Op("Celu", 12)]
    public static Tensor Celu(Tensor X, float alpha = 1f) => Elementwise.MapFloat(X, new CeluOp(alpha));

    [Op("ThresholdedRelu", 10)]
    public static Tensor ThresholdedRelu(Tensor X, float alpha = 1f) => Elementwise.MapFloat(X, new ThresholdedReluOp(alpha));

    [Op("HardSigmoid", 1)]
    public static Tensor HardSigmoid(Tensor X, float alpha = 0.2f, float beta = 0.5f) => Elementwise.MapFloat(X, new HardSigmoidOp(alpha, beta, swish: false));

    [Op("HardSwish", 14)]
    public static Tensor HardSwish(Tensor X) => Elementwise.MapFloat(X, new HardSigmoidOp(1f / 6, 0.5f, swish: true));

    [Op("Softplus", 1)]
    public static Tensor Softplus(Tensor X) => Elementwise.MapFloat(X, new SoftplusOp());

    [Op("Softsign", 1)]
    public static Tensor Softsign(Tensor input) => Elementwise.MapFloat(input, new SoftsignOp());

    [Op("Mish", 18)]
    public static Tensor Mish(Tensor X) => Elementwise.MapFloat(X, new MishOp());

    /// <summary>approximate = "none": ½x(1 + erf(x/√2)); "tanh": ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    [Op("Gelu", 20)]
    public static Tensor Gelu(Tensor X, string approximate = "none") => approximate switch
    {
        "none" => Elementwise.MapFloat(X, new GeluOp()),
        "tanh" => Elementwise.MapFloat(X, new GeluTanhOp()),
        _ => throw new ArgumentException($"Gelu approximate must be 'none' or 'tanh', not '{approximate}'"),
    };

    /// <summary>x &lt; 0 ? slope·x : x, slope broadcast to X's shape (unidirectional).</summary>
    [Op("PRelu", 7)]
    public static Tensor PRelu(Tensor X, Tensor slope)
    {
        if (!Broadcast.Shape(X.Shape, slope.Shape).SequenceEqual(X.Shape))
            throw new ArgumentException($"slope {slope.ShapeString} does not broadcast to X {X.ShapeString}");
        return Elementwise.Numeric<PReluK>(X, slope);
    }

    /// <summary>Opset &lt; 7: a 1-D slope of C values applies per channel (axis 1).</summary>
    [Op("PRelu", 1)]
    public static Tensor PReluLegacy(Tensor X, Tensor slope)
    {
        if (slope.Rank == 1 && slope.Length > 1 && X.Rank > 2 && slope.Length == X.Shape[1])
        {
            var view = new int[X.Rank - 1];
            Array.Fill(view, 1);
            view[0] = slope.Length;
            slope = slope.Reshape(view);
        }
        return PRelu(X, slope);
    }

    private readonly struct ReluK : INumericKernel
    {
        public static void Run<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T> => TP.Max(x, T.Zero, d);
    }

    private readonly struct PReluK : IBinaryKernel
    {
        public static Tensor Run<T>(Tensor a, Tensor b) where T : unmanaged, INumber<T> => Elementwise.Binary<T, T, PReluOp<T>>(a, b, a.DType);
    }
}
