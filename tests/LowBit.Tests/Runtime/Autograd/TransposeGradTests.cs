namespace LowBit.Tests.Autograd;

/// <summary>Transpose backward (the inverse permutation) against finite differences.</summary>
public class TransposeGradTests
{
    [Fact]
    public void Transpose_Perm_MatchesFiniteDifferences() =>
        GradCheck.For("Transpose").Input("x", TestTensors.Random(new Random(190), 2, 3, 4, 2)).Attr("perm", new long[] { 0, 2, 3, 1 }).Run();

    [Fact]
    public void Transpose_DefaultReversesDims_MatchesFiniteDifferences() =>
        GradCheck.For("Transpose").Input("x", TestTensors.Random(new Random(191), 2, 3, 4)).Run();
}
