using LowBit.Reports;
using LowBit.Reports.Plots;
using SkiaSharp;

namespace LowBit.Tests.Reports.Plots;

public class ReportPlotsTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    internal static LayerError Row(string name, double sqnr, string kind = "activation", bool histogram = true) => new(
        name, kind, name + "_node", "Conv", new QuantFormat("uint8", 8, "per-tensor", null, null, 1, 0.02, 0.02, 0, 0, 5.1),
        sqnr, 0.99, 0.1, sqnr + 5, -1, 4, 1000,
        histogram ? new HistogramData(-1, 0.02, Enumerable.Range(0, 256).Select(i => (long)(1000 * Math.Exp(-i / 30.0))).ToArray()) : null);

    /// <summary>Asserts a complete PNG that SkiaSharp decodes to the expected size, not a blank canvas.</summary>
    internal static void AssertPng(byte[] png, int? width = null, int? height = null)
    {
        Assert.True(png.Length > 1000, $"{png.Length} bytes");
        Assert.Equal(PngSignature, png[..8]);
        using var bmp = SKBitmap.Decode(png);
        Assert.NotNull(bmp);
        if (width is int w) Assert.Equal(w, bmp.Width);
        if (height is int h) Assert.Equal(h, bmp.Height);
        var colors = new HashSet<SKColor>();
        for (int y = 0; y < bmp.Height; y += 7)
            for (int x = 0; x < bmp.Width; x += 7) colors.Add(bmp.GetPixel(x, y));
        Assert.True(colors.Count > 3, "the image is (nearly) a single colour");
    }

    [Fact]
    public void LayerSqnr_RowsWithInfinity_RendersPng()
    {
        var rows = new[] { Row("a", 3.5), Row("b", 21), Row("c", double.PositiveInfinity), Row("d", double.NaN) };
        AssertPng(ReportPlots.LayerSqnr(rows), ReportPlots.Width, 120 + 22 * 4);
    }

    [Fact]
    public void LayerSqnr_ManyRows_KeepsTheWorst()
    {
        var rows = Enumerable.Range(0, 100).Select(i => Row("t" + i, i)).ToList();
        AssertPng(ReportPlots.LayerSqnr(rows, maxBars: 30), ReportPlots.Width, 120 + 22 * 30);
    }

    [Fact]
    public void ActivationHistogram_WithClipRange_RendersPng()
    {
        AssertPng(ReportPlots.ActivationHistogram(Row("relu", 12)), ReportPlots.Width, 360);
    }

    [Fact]
    public void ActivationHistogram_NoHistogram_Throws()
    {
        Assert.Throws<ArgumentException>(() => ReportPlots.ActivationHistogram(Row("w", 40, "weight", histogram: false)));
    }

    [Fact]
    public void BeforeAfter_SizeBars_RendersPng()
    {
        AssertPng(ReportPlots.BeforeAfter("Model size", "MB", 44.7, 11.3), 420, 320);
    }

    [Fact]
    public void Attribution_Rows_RendersPng()
    {
        var rows = new[] { new LayerAttribution("fc2", "Gemm", ["r_dq"], 8.2, 0.9, 0.95), new LayerAttribution("fc1", "Gemm", ["x_dq"], 38, 0.999, 0.05) };
        AssertPng(ReportPlots.Attribution(rows), ReportPlots.Width);
    }

    [Fact]
    public void Db_NonFinite_UsesSymbols()
    {
        Assert.Equal(("∞", "−∞", "NaN", "12.3 dB"), (ReportPlots.Db(double.PositiveInfinity), ReportPlots.Db(double.NegativeInfinity),
            ReportPlots.Db(double.NaN), ReportPlots.Db(12.34)));
    }
}
