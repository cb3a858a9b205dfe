using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>Cast between float types passes the gradient back in the input's type.</summary>
public class CastGradTests
{
    [Fact]
    public void Cast_FloatToDouble_MatchesFiniteDifferences()
    {
        var grads = GradCheck.For("Cast").Input("x", TestTensors.Random(new Random(240), 3, 4)).Attr("to", (long)DType.Float64).Run();
        Assert.Equal(DType.Float32, grads["x"].DType);
    }
}
