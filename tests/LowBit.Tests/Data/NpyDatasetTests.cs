using LowBit.Data;
using LowBit.Tensors;

namespace LowBit.Tests.Data;

public class NpyDatasetTests
{
    [Fact]
    public void Open_BatchArray_FirstDimIsSamples_IntegersConvertUnscaled()
    {
        using var tmp = new TempDir();
        Npy.Write(tmp.File("x.npy"), Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (byte)(i * 20)).ToArray(), 3, 2, 2));
        Npy.Write(tmp.File("y.npy"), Tensor.FromArray(new long[] { 2, 0, 1 }, 3));
        var ds = DataSpec.Open($"npy={tmp.File("x.npy")},labels={tmp.File("y.npy")}");
        Assert.Equal(3, ds.Count);
        Assert.Equal(new[] { 2, 2 }, ds.SampleShape);
        Assert.Equal(new float[] { 80, 100, 120, 140 }, ds.GetSample(1).ToFloatArray());
        Assert.Equal(2, ds.GetLabel(0));
        var w = Assert.Single(ds.Warnings);  // 0–220 uint8 pixels become 0–220 floats: said, naming dtype and maximum
        Assert.Contains("uint8 array cast to float32 without scaling (values up to 220)", w);
    }

    [Fact]
    public void Open_FloatOrZeroOneIntegers_NoScalingWarning()
    {
        using var tmp = new TempDir();
        Npy.Write(tmp.File("f.npy"), Tensor.FromArray(new float[] { 0, 200, 255, 3 }, 2, 2));
        Npy.Write(tmp.File("b.npy"), Tensor.FromArray(new byte[] { 0, 1, 1, 0 }, 2, 2));
        Assert.Empty(NpyDataset.Open(tmp.File("f.npy")).Warnings);
        Assert.Empty(NpyDataset.Open(tmp.File("b.npy")).Warnings);
    }

    [Fact]
    public void Open_FolderOfFiles_OneSampleEach_LeadingOneDroppedForTheModelShape()
    {
        using var tmp = new TempDir();
        for (int i = 0; i < 3; i++) Npy.Write(tmp.File($"s{i}.npy"), Tensor.FromArray(new float[] { i, i + 0.5f }, 1, 2));
        var ds = NpyDataset.Open(tmp.Path, expectedSampleShape: [2]);
        Assert.Equal(3, ds.Count);
        Assert.Equal(new[] { 2 }, ds.SampleShape);
        Assert.Equal(new[] { 2f, 2.5f }, ds.GetSample(2).ToFloatArray());
        Assert.Equal(new[] { 1, 2 }, NpyDataset.Open(tmp.Path).SampleShape);
    }

    [Fact]
    public void ReadSample_FileWithOtherShape_FailsNamingIt()
    {
        using var tmp = new TempDir();
        Npy.Write(tmp.File("a.npy"), Tensor.FromArray(new float[] { 1, 2 }, 2));
        Npy.Write(tmp.File("b.npy"), Tensor.FromArray(new float[] { 1, 2, 3 }, 3));
        var ds = NpyDataset.Open(tmp.Path);
        var e = Assert.Throws<LowBitException>(() => ds.GetSample(1));
        Assert.Contains("b.npy", e.Message);
    }

    [Fact]
    public void Open_LabelsOfWrongLength_Fail()
    {
        using var tmp = new TempDir();
        Npy.Write(tmp.File("x.npy"), Tensor.FromArray(new float[6], 3, 2));
        Npy.Write(tmp.File("y.npy"), Tensor.FromArray(new long[] { 1, 2 }, 2));
        Assert.Contains("expected [3]", Assert.Throws<LowBitException>(() => NpyDataset.Open(tmp.File("x.npy"), tmp.File("y.npy"))).Message);
    }
}
