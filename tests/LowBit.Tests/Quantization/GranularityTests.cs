using LowBit.Quantization;

namespace LowBit.Tests.Quantization;

public class GranularityTests
{
    [Theory]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(257)]
    public void PerGroup_BlockSizeOutside16To256_Throws(int block) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerGroup(0, block));

    [Fact]
    public void ResolveAxis_NegativeAndOutOfRange()
    {
        Assert.Equal(2, Granularity.ResolveAxis(-1, 3));
        Assert.Equal(0, Granularity.ResolveAxis(-3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Granularity.ResolveAxis(3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Granularity.ResolveAxis(-4, 3));
    }

    [Fact]
    public void Records_ValueEquality()
    {
        Assert.Equal(new PerChannel(1), new PerChannel(1));
        Assert.Equal(new PerGroup(0, 32), new PerGroup(0, 32));
        Assert.NotEqual<Granularity>(new PerGroup(0, 32), new PerGroup(1, 32));
    }
}
