using LowBit.Data;

namespace LowBit.Tests.Data;

public class IdxDatasetTests
{
    private static IdxArray Images(int n) => new(IdxType.UInt8, [n, 2, 3], Enumerable.Range(0, n * 6).Select(i => (byte)(i * 11 % 256)).ToArray());
    private static IdxArray Labels(params byte[] v) => new(IdxType.UInt8, [v.Length], v);

    [Fact]
    public void ReadSample_UInt8Images_AreOneChannelScaledToUnit()
    {
        var ds = new IdxDataset("t", Images(2), Labels(1, 0));
        Assert.Equal(new[] { 1, 2, 3 }, ds.SampleShape);
        var s = new float[6];
        ds.ReadSample(1, s);
        // element k of sample 1 is byte ((6 + k)·11 mod 256); /255 in float32.
        Assert.Equal(Enumerable.Range(6, 6).Select(i => (byte)(i * 11 % 256) / 255f), s);
        Assert.Equal(0, ds.GetLabel(1));
        Assert.Equal(new[] { "0", "1" }, ds.ClassNames);
    }

    [Fact]
    public void Constructor_LabelCountDiffersFromImages_FailsNamingBoth()
    {
        var e = Assert.Throws<LowBitException>(() => new IdxDataset("t", Images(3), Labels(1, 0)));
        Assert.Contains("2 labels for 3 images", e.Message);
    }

    [Fact]
    public void Constructor_LabelOutsideDeclaredClasses_FailsNamingTheSample()
    {
        var e = Assert.Throws<LowBitException>(() => new IdxDataset("t", Images(3), Labels(0, 1, 7), ["a", "b", "c"]));
        Assert.Contains("label 7 of sample 2", e.Message);
        Assert.Contains("[0, 3)", e.Message);
    }

    [Fact]
    public void GetLabel_UnlabelledDataset_Throws()
    {
        var ds = new IdxDataset("t", Images(1));
        Assert.False(ds.HasLabels);
        Assert.Throws<InvalidOperationException>(() => ds.GetLabel(0));
    }
}
