using LowBit.Data;
using SkiaSharp;

namespace LowBit.Tests.Data;

/// <summary>Image folders: decoding, resizing, presets, labels, unreadable files. Expected pixels are computed by hand;
/// where no resampling happens (scale 1, integer offsets) or the image is uniform, bilinear sampling reproduces source
/// values exactly, so those comparisons allow only float32 rounding of the preset arithmetic (1e-6).</summary>
public class ImageFolderDatasetTests
{
    internal static void WriteImage(string path, int w, int h, Func<int, int, SKColor> color, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bmp.SetPixel(x, y, color(x, y));
        using var img = SKImage.FromBitmap(bmp);
        using var data = img.Encode(format, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>300×256 image: background (10,20,30); (38,16) = (200,100,50); (261,239) = (1,2,3). With size 224 the
    /// shorter side is already round(224·256/224) = 256, so the center crop starts at ((300−224)/2, (256−224)/2) =
    /// (38,16) with no resampling: those two pixels land on output (0,0) and (223,223).</summary>
    private static string MarkedImage(TempDir tmp)
    {
        var path = tmp.File("marked.png");
        WriteImage(path, 300, 256, (x, y) => (x, y) switch
        {
            (38, 16) => new SKColor(200, 100, 50),
            (261, 239) => new SKColor(1, 2, 3),
            _ => new SKColor(10, 20, 30),
        });
        return path;
    }

    private static float[] Read(Dataset ds, int index = 0)
    {
        var s = new float[ds.SampleLength];
        ds.ReadSample(index, s);
        return s;
    }

    [Fact]
    public void ReadSample_UnitPresetCenterCrop_MapsHandComputedPixels()
    {
        using var tmp = new TempDir();
        MarkedImage(tmp);
        var ds = ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Unit, 224));
        Assert.False(ds.HasLabels);
        Assert.Equal(new[] { 3, 224, 224 }, ds.SampleShape);
        var s = Read(ds);
        const int plane = 224 * 224;
        float At(int c, int y, int x) => s[c * plane + y * 224 + x];
        Assert.Equal(new[] { 200 / 255f, 100 / 255f, 50 / 255f }, new[] { At(0, 0, 0), At(1, 0, 0), At(2, 0, 0) });
        Assert.Equal(new[] { 1 / 255f, 2 / 255f, 3 / 255f }, new[] { At(0, 223, 223), At(1, 223, 223), At(2, 223, 223) });
        Assert.Equal(new[] { 10 / 255f, 20 / 255f, 30 / 255f }, new[] { At(0, 100, 100), At(1, 100, 100), At(2, 100, 100) });
    }

    [Fact]
    public void ReadSample_ImagenetAndGrayPresets_MatchHandComputedValues()
    {
        using var tmp = new TempDir();
        MarkedImage(tmp);
        var imagenet = Read(ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Imagenet, 224)));
        // (200/255 − 0.485)/0.229, (100/255 − 0.456)/0.224, (50/255 − 0.406)/0.225
        Assert.Equal(1.3070480, imagenet[0], 5);
        Assert.Equal(-0.2850140, imagenet[224 * 224], 5);
        Assert.Equal(-0.9329847, imagenet[2 * 224 * 224], 5);

        var gray = ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Gray, 224));
        Assert.Equal(new[] { 1, 224, 224 }, gray.SampleShape);
        // (0.299·200 + 0.587·100 + 0.114·50)/255 = 124.2/255
        Assert.Equal(0.4870588, Read(gray)[0], 5);
    }

    [Fact]
    public void ReadSample_BgrMeanPreset_SwapsToBgrAndSubtractsTheMeanImageAt0To255()
    {
        using var tmp = new TempDir();
        MarkedImage(tmp);
        var s = Read(ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.ImagenetBgrMean, 224)));
        var mean = ImagePresets.BgrMeanImage();
        const int plane = 224 * 224;
        Assert.Equal(50 - mean[0], s[0]);
        Assert.Equal(100 - mean[plane], s[plane]);
        Assert.Equal(200 - mean[2 * plane], s[2 * plane]);
        // MeanImage[0,0,0,0] of ResNetPreprocess.onnx is 114.4211 (float16: within 2⁻⁴).
        Assert.Equal(114.4211, mean[0], 0.0625);
    }

    [Theory]
    [InlineData(ImageCrop.None, 64, 48)]
    [InlineData(ImageCrop.Center, 64, 48)]
    [InlineData(ImageCrop.Center, 500, 700)]
    [InlineData(ImageCrop.Center, 7, 5)]
    public void ReadSample_UniformImageAnyResize_StaysUniform(ImageCrop crop, int w, int h)
    {
        using var tmp = new TempDir();
        WriteImage(tmp.File("u.png"), w, h, (_, _) => new SKColor(90, 180, 45));
        var s = Read(ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Unit, 16, crop)));
        Assert.Equal(3 * 16 * 16, s.Length);
        for (int c = 0; c < 3; c++)
            Assert.All(s.AsSpan(c * 256, 256).ToArray(), v => Assert.Equal(new[] { 90, 180, 45 }[c] / 255f, v, 1e-6));
    }

    [Fact]
    public void ReadSample_CropNone_ScalesBothSidesToSize()
    {
        using var tmp = new TempDir();
        // Left half red, right half blue, 40×10 → 4×4 without keeping aspect: columns 0–1 red, 2–3 blue.
        WriteImage(tmp.File("lr.png"), 40, 10, (x, _) => x < 20 ? new SKColor(255, 0, 0) : new SKColor(0, 0, 255));
        var s = Read(ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Unit, 4, ImageCrop.None)));
        for (int y = 0; y < 4; y++)
        {
            Assert.Equal(1f, s[y * 4 + 0], 1e-6);
            Assert.Equal(0f, s[y * 4 + 3], 1e-6);
            Assert.Equal(1f, s[2 * 16 + y * 4 + 3], 1e-6);
        }
    }

    [Fact]
    public void Open_ClassSubfolders_GiveOrdinalClassNamesAndLabels()
    {
        using var tmp = new TempDir();
        WriteImage(Path.Combine(tmp.Dir("dog"), "a.png"), 8, 8, (_, _) => SKColors.White);
        WriteImage(Path.Combine(tmp.Dir("cat"), "b.jpg"), 8, 8, (_, _) => SKColors.Black, SKEncodedImageFormat.Jpeg);
        WriteImage(Path.Combine(tmp.Dir("cat/nested"), "c.webp"), 8, 8, (_, _) => SKColors.Gray, SKEncodedImageFormat.Webp);
        WriteImage(tmp.File("top.png"), 8, 8, (_, _) => SKColors.Gray);
        var ds = ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Gray, 8));
        Assert.Equal(new[] { "cat", "dog" }, ds.ClassNames);
        Assert.Equal(3, ds.Count);
        Assert.Equal(new[] { 0, 0, 1 }, Enumerable.Range(0, 3).Select(ds.GetLabel));
        Assert.Contains(ds.Warnings, w => w.Contains("ignored 1 image outside the class folders"));
        Assert.Equal(0f, Read(ds, 0)[0], 0.02);   // black JPEG: lossy, within 5/255
        Assert.Equal(1f, Read(ds, 2)[0], 1e-6);   // white PNG
    }

    [Fact]
    public void ReadSample_LargeJpeg_DecodedDownscaledStillKeepsLayoutAndColours()
    {
        using var tmp = new TempDir();
        // 2400×1200 → 16×16 (crop none): the decoder may take the 1/2 or 1/4 DCT scale (shorter side ≥ 2·18 = 36).
        WriteImage(tmp.File("big.jpg"), 2400, 1200, (x, _) => x < 1200 ? new SKColor(250, 10, 10) : new SKColor(10, 10, 250), SKEncodedImageFormat.Jpeg);
        var s = Read(ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Unit, 16, ImageCrop.None)));
        // JPEG chroma subsampling and lossy coding: within 12/255 away from the edge.
        for (int y = 0; y < 16; y++)
        {
            Assert.Equal(250 / 255f, s[y * 16 + 2], 12 / 255f);
            Assert.Equal(10 / 255f, s[2 * 256 + y * 16 + 2], 12 / 255f);
            Assert.Equal(250 / 255f, s[2 * 256 + y * 16 + 13], 12 / 255f);
        }
    }

    [Fact]
    public void RandomCropRect_AnySeed_StaysInsideWithSideInRange()
    {
        for (ulong seed = 0; seed < 500; seed++)
        {
            var r = ImageFolderDataset.RandomCropRect(300, 200, seed);
            Assert.True(r.Left >= 0 && r.Top >= 0 && r.Right <= 300.001f && r.Bottom <= 200.001f, $"{r} outside 300×200");
            Assert.Equal(r.Width, r.Height, 1e-3);
            Assert.InRange(r.Width, 200 * Math.Sqrt(ImageOptions.MinCropArea) - 1e-3, 200.001);
        }
    }

    [Fact]
    public void Open_HandWrittenBmp_Decodes()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("p.bmp"), Bmp24(2, 2, 30, 60, 90));
        var s = Read(ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Unit, 2, ImageCrop.None)));
        Assert.Equal(new[] { 30 / 255f, 60 / 255f, 90 / 255f }, new[] { s[0], s[4], s[8] });
    }

    [Fact]
    public void ReadSample_JpegWithExifOrientation6_IsRotatedUpright()
    {
        using var tmp = new TempDir();
        var path = tmp.File("rot.jpg");
        WriteImage(path, 32, 16, (x, _) => x < 16 ? new SKColor(255, 0, 0) : new SKColor(0, 0, 255), SKEncodedImageFormat.Jpeg);
        // APP1 Exif segment right after SOI: little-endian TIFF, one IFD entry Orientation (0x0112, SHORT) = 6
        // ("rotate 90° clockwise to display"): stored column x becomes displayed row x, so red (left) ends on top.
        byte[] app1 =
        [
            0xFF, 0xE1, 0x00, 0x22, .. "Exif\0\0"u8, 0x49, 0x49, 0x2A, 0, 8, 0, 0, 0,
            1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,
        ];
        var jpeg = File.ReadAllBytes(path);
        File.WriteAllBytes(path, [.. jpeg[..2], .. app1, .. jpeg[2..]]);
        var s = Read(ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Unit, 8, ImageCrop.None)));
        // Displayed 16×32 scaled to 8×8: rows 0–3 red, rows 4–7 blue (JPEG: within 12/255 away from the edge).
        for (int x = 0; x < 8; x++)
        {
            Assert.Equal(1f, s[1 * 8 + x], 12 / 255f);
            Assert.Equal(0f, s[6 * 8 + x], 12 / 255f);
            Assert.Equal(1f, s[2 * 64 + 6 * 8 + x], 12 / 255f);
        }
    }

    [Fact]
    public void Open_HandWrittenGif_DecodesFirstFrame()
    {
        using var tmp = new TempDir();
        // GIF89a 1×1: global palette {red, black}; LZW (min code size 2) codes clear(4), 0, end(5) → pixel = red.
        byte[] gif =
        [
            .. "GIF89a"u8, 1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0, 0, 0, 0, 0,
            0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B,
        ];
        File.WriteAllBytes(tmp.File("r.gif"), gif);
        var s = Read(ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Unit, 1, ImageCrop.None)));
        Assert.Equal(new[] { 1f, 0f, 0f }, s);
    }

    /// <summary>A bottom-up 24-bit BMP filled with one colour (BITMAPINFOHEADER, rows padded to 4 bytes, BGR order).</summary>
    private static byte[] Bmp24(int w, int h, byte r, byte g, byte b)
    {
        int row = (3 * w + 3) / 4 * 4, size = 54 + row * h;
        var f = new byte[size];
        f[0] = (byte)'B'; f[1] = (byte)'M';
        BitConverter.GetBytes(size).CopyTo(f, 2);
        BitConverter.GetBytes(54).CopyTo(f, 10);
        BitConverter.GetBytes(40).CopyTo(f, 14);
        BitConverter.GetBytes(w).CopyTo(f, 18);
        BitConverter.GetBytes(h).CopyTo(f, 22);
        BitConverter.GetBytes((short)1).CopyTo(f, 26);
        BitConverter.GetBytes((short)24).CopyTo(f, 28);
        BitConverter.GetBytes(row * h).CopyTo(f, 34);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int o = 54 + y * row + 3 * x;
                f[o] = b; f[o + 1] = g; f[o + 2] = r;
            }
        return f;
    }

    [Fact]
    public void Open_UnreadableImage_IsSkippedAndCounted()
    {
        using var tmp = new TempDir();
        WriteImage(tmp.File("ok.png"), 4, 4, (_, _) => SKColors.White);
        File.WriteAllText(tmp.File("broken.jpg"), "this is not a jpeg");
        var ds = ImageFolderDataset.Open(tmp.Path, new ImageOptions(size: 4));
        Assert.Equal(1, ds.Count);
        Assert.Equal(new[] { tmp.File("broken.jpg") }, ds.SkippedFiles);
        Assert.Contains("skipped 1 unreadable image", Assert.Single(ds.Warnings));
    }

    [Fact]
    public void Open_FolderWithoutImages_FailsNamingIt()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("notes.txt"), "x");
        var e = Assert.Throws<LowBitException>(() => ImageFolderDataset.Open(tmp.Path));
        Assert.Contains(tmp.Path, e.Message);
        Assert.Contains("no images", e.Message);
        var missing = Assert.Throws<LowBitException>(() => ImageFolderDataset.Open(tmp.File("absent")));
        Assert.Equal(ErrorKind.FileNotFound, missing.Kind);
        Assert.Contains(tmp.File("absent"), missing.Message);
    }

    [Fact]
    public void RandomCrops_SameSeed_SameCropsAndLabelsPerSourceFile()
    {
        using var tmp = new TempDir();
        WriteImage(Path.Combine(tmp.Dir("a"), "big.png"), 120, 90, (x, y) => new SKColor((byte)x, (byte)y, (byte)(x ^ y)));
        WriteImage(Path.Combine(tmp.Dir("b"), "big.png"), 90, 120, (x, y) => new SKColor((byte)y, (byte)x, 7));
        var options = new ImageOptions(ImagePreset.Unit, 32, randomCrops: 6, seed: 5);
        var a = ImageFolderDataset.Open(tmp.Path, options);
        var b = ImageFolderDataset.Open(tmp.Path, options);
        Assert.Equal(6, a.Count);
        Assert.Equal(new[] { 0, 0, 0, 1, 1, 1 }, Enumerable.Range(0, 6).Select(a.GetLabel));
        for (int i = 5; i >= 0; i--) Assert.Equal(Read(a, i), Read(b, i));
        Assert.NotEqual(Read(a, 0), Read(a, 1));
        var other = ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Unit, 32, randomCrops: 6, seed: 6));
        Assert.NotEqual(Read(a, 0), Read(other, 0));
    }

    [Fact]
    public void ImageOptions_BgrMeanAtOtherSize_IsRejected()
    {
        var e = Assert.Throws<LowBitException>(() => new ImageOptions(ImagePreset.ImagenetBgrMean, 160));
        Assert.Contains("size=224", e.Message);
    }
}
