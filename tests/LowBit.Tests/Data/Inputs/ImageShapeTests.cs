using LowBit.Data;
using LowBit.Graph;
using LowBit.Tensors;
using SkiaSharp;
using static LowBit.Tests.Data.ImageFolderDatasetTests;

namespace LowBit.Tests.Data.Inputs;

/// <summary><c>images=DIR,size=HxW</c> and <c>images=DIR,height=H,keep-aspect</c> for text-line models [N,3,48,W].</summary>
public class ImageShapeTests
{
    /// <summary>Two images, 192×96 and 480×96: left half red, right half blue (unit preset: R=1 on the left).</summary>
    private static string Lines(TempDir tmp)
    {
        string dir = tmp.Dir("lines");
        WriteImage(Path.Combine(dir, "a.png"), 192, 96, (x, _) => x < 96 ? SKColors.Red : SKColors.Blue);
        WriteImage(Path.Combine(dir, "b.png"), 480, 96, (x, _) => x < 240 ? SKColors.Red : SKColors.Blue);
        return dir;
    }

    private static readonly ValueInfo[] LineInput = [new("x", DType.Float32, [Dim.Symbolic("N"), Dim.Known(3), Dim.Known(48), Dim.Symbolic("W")])];

    [Fact]
    public void OpenInputs_KeepAspect_EachImageAtHeightAndItsOwnWidth()
    {
        using var tmp = new TempDir();
        var src = DataSpec.OpenInputs($"images={Lines(tmp)},height=48,keep-aspect", LineInput);
        var a = src.Read(0)["x"];
        var b = src.Read(1)["x"];
        Assert.Equal([1, 3, 48, 96], a.Shape);   // 192·48/96
        Assert.Equal([1, 3, 48, 240], b.Shape);  // 480·48/96
        var v = b.ToFloatArray();
        Assert.Equal(1f, v[0], 0.02f);           // R at the left edge
        Assert.Equal(0f, v[239], 0.02f);         // R at the right edge (blue half)

        var fixedW = new[] { ValueInfo.Of("x", DType.Float32, 1, 3, 48, 96) };
        var e = Assert.Throws<LowBitException>(() => DataSpec.OpenInputs($"images={tmp.Path}/lines,height=48,keep-aspect", fixedW).Read(1));
        Assert.EndsWith("input 'x' expects float32 [1,3,48,96]; the data holds float32 [3,48,240]", e.Message);
    }

    [Fact]
    public void Open_SizeHxW_FixedShapeSamples()
    {
        using var tmp = new TempDir();
        var data = DataSpec.Open($"images={Lines(tmp)},size=24x64,crop=none");
        Assert.Equal([3, 24, 64], data.SampleShape);
        var s = data.GetSample(1).ToFloatArray();
        Assert.Equal(1f, s[0], 0.02f);
        Assert.Equal(0f, s[63], 0.02f);
    }

    [Fact]
    public void Parse_ImageShapes_RoundTripAndRefuseMixes()
    {
        Assert.Equal("images=d,preset=unit,height=48,keep-aspect", DataSpec.Parse("images=d,height=48,keep-aspect").ToString());
        Assert.Equal("images=d,preset=unit,size=48x320", DataSpec.Parse("images=d,size=48x320").ToString());
        Assert.Contains("keep-aspect needs height=H", Assert.Throws<LowBitException>(() => DataSpec.Parse("images=d,keep-aspect")).Message);
        Assert.Contains("height=H goes with keep-aspect", Assert.Throws<LowBitException>(() => DataSpec.Parse("images=d,height=48")).Message);
        Assert.Contains("size=48x: expected N or HxW", Assert.Throws<LowBitException>(() => DataSpec.Parse("images=d,size=48x")).Message);
        Assert.Contains("keep-aspect gives images of different widths",
            Assert.Throws<LowBitException>(() => DataSpec.Open("images=d,height=48,keep-aspect")).Message);
    }
}
