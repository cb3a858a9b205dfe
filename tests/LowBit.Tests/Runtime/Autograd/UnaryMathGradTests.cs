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
}
