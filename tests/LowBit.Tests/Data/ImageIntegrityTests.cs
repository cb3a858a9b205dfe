using LowBit.Data;
using SkiaSharp;

namespace LowBit.Tests.Data;

/// <summary>Corrupt images in a folder: counted and named with a reason when the folder is opened, never half-decoded.</summary>
public class ImageIntegrityTests
{
    private static byte[] Encoded(SKEncodedImageFormat format)
    {
        using var tmp = new TempDir();
        string path = tmp.File("x");
        // a noisy image so the compressed stream is long enough to cut in the middle
        var r = new Random(3);
        ImageFolderDatasetTests.WriteImage(path, 64, 64, (_, _) => new SKColor((byte)r.Next(256), (byte)r.Next(256), (byte)r.Next(256)), format);
        return File.ReadAllBytes(path);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, "png", "no PNG IEND chunk")]
    [InlineData(SKEncodedImageFormat.Jpeg, "jpg", "no JPEG end-of-image marker")]
    public void Problem_TruncatedFile_NamesWhy(SKEncodedImageFormat format, string ext, string reason)
    {
        using var tmp = new TempDir();
        var bytes = Encoded(format);
        File.WriteAllBytes(tmp.File("whole." + ext), bytes);
        File.WriteAllBytes(tmp.File("cut." + ext), bytes[..(bytes.Length / 2)]);
        Assert.Null(ImageIntegrity.Problem(tmp.File("whole." + ext)));
        Assert.Contains(reason, ImageIntegrity.Problem(tmp.File("cut." + ext)));
    }

    [Fact]
    public void Open_CorruptImages_CountedAndNamedInOneWarning()
    {
        using var tmp = new TempDir();
        var png = Encoded(SKEncodedImageFormat.Png);
        var jpg = Encoded(SKEncodedImageFormat.Jpeg);
        File.WriteAllBytes(tmp.File("a-ok.png"), png);
        File.WriteAllBytes(tmp.File("b-cut.png"), png[..(png.Length * 2 / 3)]);
        File.WriteAllBytes(tmp.File("c-cut.jpg"), jpg[..(jpg.Length / 2)]);
        File.WriteAllText(tmp.File("d-text.jpg"), "not a jpeg");
        var ds = ImageFolderDataset.Open(tmp.Path, new ImageOptions(size: 8));
        Assert.Equal(1, ds.Count);
        Assert.Equal(3, ds.SkippedFiles.Count);
        string w = Assert.Single(ds.Warnings);
        Assert.Contains("skipped 3 unreadable images", w);
        Assert.Contains("b-cut.png (truncated: no PNG IEND chunk)", w);
        Assert.Contains("c-cut.jpg (truncated", w);
        Assert.Contains("d-text.jpg (not a readable image)", w);
    }

    [Fact]
    public void Describe_ManyFiles_NamesFiveAndCountsTheRest()
    {
        var bad = Enumerable.Range(0, 8).Select(i => ($"/d/{i}.png", "truncated")).ToList();
        string s = ImageIntegrity.Describe(bad, "/d");
        Assert.StartsWith("0.png (truncated), 1.png (truncated)", s);
        Assert.EndsWith("4.png (truncated), and 3 more", s);
    }

    [Fact]
    public void ReadSample_FileTruncatedAfterOpening_ThrowsNamingIt()
    {
        using var tmp = new TempDir();
        var png = Encoded(SKEncodedImageFormat.Png);
        File.WriteAllBytes(tmp.File("x.png"), png);
        var ds = ImageFolderDataset.Open(tmp.Path, new ImageOptions(size: 8));
        // cut the pixel data but keep the trailer: only the decoder can notice
        File.WriteAllBytes(tmp.File("x.png"), [.. png[..(png.Length / 2)], .. png[^12..]]);
        var e = Assert.Throws<LowBitException>(() => ds.ReadSample(0, new float[ds.SampleLength]));
        Assert.Contains("x.png", e.Message);
    }
}
