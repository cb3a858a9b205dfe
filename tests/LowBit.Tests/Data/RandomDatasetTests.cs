using LowBit.Data;

namespace LowBit.Tests.Data;

public class RandomDatasetTests
{
    [Fact]
    public void ReadSample_DependsOnSeedAndIndexOnly_ValuesInUnitInterval()
    {
        var a = new RandomDataset(10, [2, 3], seed: 4);
        var b = new RandomDataset(10, [2, 3], seed: 4);
        Assert.Equal(a.GetSample(7).ToFloatArray(), b.GetSample(7).ToFloatArray());
        Assert.NotEqual(a.GetSample(7).ToFloatArray(), a.GetSample(6).ToFloatArray());
        Assert.NotEqual(a.GetSample(7).ToFloatArray(), new RandomDataset(10, [2, 3], seed: 5).GetSample(7).ToFloatArray());
        var all = Enumerable.Range(0, 10).SelectMany(i => a.GetSample(i).ToFloatArray()).ToArray();
        Assert.All(all, v => Assert.InRange(v, 0f, 0.99999995f));
        // 60 uniforms: mean within ±0.15 of ½ (4σ, σ = 1/√(12·60) ≈ 0.037).
        Assert.InRange(all.Average(), 0.35, 0.65);
    }
}
