namespace LowBit.Tests.Autograd;

/// <summary>LayerNormalization backward (X, scale, bias) against finite differences for the last axis, a multi-dim
/// normalized shape, and broadcast scale/bias (tolerance as in <see cref="GradCheck"/>; ε of the op is 1e-5 and the
/// row variance ≈ 1, so 1/σ is smooth over ±1e-2).</summary>
public class LayerNormGradTests
{
    [Fact]
    public void LayerNorm_LastAxis_MatchesFiniteDifferences()
    {
        var rng = new Random(130);
        GradCheck.For("LayerNormalization").Input("x", TestTensors.Random(rng, 2, 3, 6))
            .Input("scale", TestTensors.Random(rng, 6)).Input("bias", TestTensors.Random(rng, 6)).Run();
    }

    [Fact]
    public void LayerNorm_Axis1_MatchesFiniteDifferences()
    {
        var rng = new Random(131);
        GradCheck.For("LayerNormalization").Input("x", TestTensors.Random(rng, 3, 2, 4))
            .Input("scale", TestTensors.Random(rng, 2, 4)).Input("bias", TestTensors.Random(rng, 2, 4)).Attr("axis", 1L).Attr("epsilon", 1e-3f).Run();
    }

    [Fact]
    public void LayerNorm_BroadcastScaleNoBias_MatchesFiniteDifferences()
    {
        var rng = new Random(132);
        GradCheck.For("LayerNormalization").Input("x", TestTensors.Random(rng, 2, 3, 4))
            .Input("scale", TestTensors.Random(rng, 1, 4)).Attr("axis", 1L).Run();
    }
}
