using LowBit.Quantization.Rounding;

namespace LowBit.Tests.Quantization.Rounding;

public class NearestTests
{
    [Fact]
    public void Round_Ties_GoToEven()
    {
        var r = new int[8];
        Nearest.Instance.Round([0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4999998f, 2.5000002f], r, 0);
        Assert.Equal([0, 2, 2, 0, -2, -2, 2, 3], r);
    }

    [Fact]
    public void Round_NaN_GivesZero()
    {
        var r = new int[1];
        Nearest.Instance.Round([float.NaN], r, 0);
        Assert.Equal(0, r[0]);
    }
}
