using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>Element-wise math backward against finite differences (tolerance as in <see cref="GradCheck"/>). Sqrt,
/// Log and Reciprocal take inputs in [0.5, 3] (smooth over ±ε, bounded derivatives); Abs keeps 0.05 from 0.</summary>
public class UnaryMathGradTests
{
    [Theory]
    [InlineData("Sigmoid")]
    [InlineData("Tanh")]
    [InlineData("Exp")]
    [InlineData("Neg")]
    [InlineData("Erf")]
    public void Unary_Normal_MatchesFiniteDifferences(string op) =>
        GradCheck.For(op).Input("x", TestTensors.Random(new Random(op.Length + 80), 3, 4)).Run();

    [Theory]
    [InlineData("Sqrt")]
    [InlineData("Log")]
    [InlineData("Reciprocal")]
    public void Unary_Positive_MatchesFiniteDifferences(string op) =>
        GradCheck.For(op).Input("x", TestTensors.Uniform(new Random(op.Length + 90), 0.5, 3, 3, 4)).Run();

    [Fact]
    public void Abs_AwayFromZero_MatchesFiniteDifferences() =>
        GradCheck.For("Abs").Input("x", TestTensors.Avoiding(new Random(95), 1, [0], 0.05, 3, 4)).Run();

    /// <summary>Z = X^Y with X in [0.5, 2] (ln X finite) and Y broadcast over rows.</summary>
    [Fact]
    public void Pow_BroadcastExponent_MatchesFiniteDifferences()
    {
        var rng = new Random(96);
        GradCheck.For("Pow").Input("x", TestTensors.Uniform(rng, 0.5, 2, 3, 4)).Input("y", TestTensors.Uniform(rng, -1.5, 2.5, 4)).Run();
    }

    /// <summary>A scalar exponent takes the vectorized dX = dZ·y·Z/X path; zero bases (where Z/X is undefined), negative
    /// bases with an integer exponent, and an overflowing Z must still give dZ·y·X^(y−1) as computed in double.</summary>
    [Theory]
    [InlineData(20f)]
    [InlineData(2f)]
    [InlineData(3f)]
    [InlineData(0.5f)]
    public void Pow_ScalarExponent_EqualsFormulaInDouble(float y)
    {
        float[] x = [0f, 0.25f, 0.5f, 0.999f, 1f, 1.5f, 3f, -2f, -0.5f, 1e30f, 1e-20f, 0.75f, 2f, 0.1f, 0.9f, 0.3f, 0.6f];
        var g = new LowBit.Graph.Graph();
        g.Opsets[""] = 17;
        g.Inputs.Add(LowBit.Graph.ValueInfo.Of("x", DType.Float32, x.Length));
        g.Initializers["y"] = Tensor.FromArray(new[] { y }, []);
        g.Add("Pow", ["x", "y"], ["z"]);
        g.Outputs.Add(new LowBit.Graph.ValueInfo("z", DType.Float32, null));
        var session = new TrainingSession(g);
        session.Forward(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(x, x.Length) });
        var dz = Enumerable.Range(0, x.Length).Select(i => 0.5f + i).ToArray();
        var dx = session.Backward(new Dictionary<string, Tensor> { ["z"] = Tensor.FromArray(dz, x.Length) }, ["x"])["x"].ToFloatArray();
        for (int i = 0; i < x.Length; i++)
        {
            float want = (float)(dz[i] * (double)y * Math.Pow(x[i], (double)y - 1));
            if (float.IsNaN(want)) Assert.True(float.IsNaN(dx[i]), $"x = {x[i]}: {dx[i]}, want NaN");
            else Assert.True(want == dx[i] || Math.Abs(want - dx[i]) <= 1e-5 * Math.Abs(want), $"x = {x[i]}, y = {y}: {dx[i]}, want {want}");
        }
    }
}
