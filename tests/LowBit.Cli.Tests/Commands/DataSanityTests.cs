namespace LowBit.Cli.Tests.Commands;

/// <summary>eval/compare warn when the data differs from what the quantized model was calibrated on (its manifest).</summary>
public class DataSanityTests(QuantModelsFixture models) : IClassFixture<QuantModelsFixture>, IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    /// <summary>8 images of 0–255 integer "pixels" saved as uint8, with labels: the fixture calibrated on [0, 1] images.</summary>
    private (string Images, string Labels) UnscaledPixels()
    {
        var rng = new Random(3);
        var pixels = Enumerable.Range(0, 8 * 784).Select(_ => (byte)rng.Next(0, 256)).ToArray();
        string images = h.SaveNpy("u8.npy", Tensors.Tensor.FromArray(pixels, 8, 1, 28, 28));
        string labels = h.SaveNpy("labels.npy", Tensors.Tensor.FromArray(Enumerable.Range(0, 8).Select(i => (long)(i % 10)).ToArray(), 8));
        return (images, labels);
    }

    [Fact]
    public void Eval_UnscaledUint8Pixels_WarnsTwiceButRuns()
    {
        var (images, labels) = UnscaledPixels();
        var r = CliHarness.Run("eval", models.Quantized, "--dataset", $"npy={images},labels={labels}", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("uint8 array cast to float32 without scaling", r.Err);      // the reader's own warning
        Assert.Contains("but the model was calibrated on", r.Err);                  // the manifest range check
        Assert.Contains("Divide by 255", r.Err);
    }

    [Fact]
    public void Compare_DataLikeCalibration_NoRangeWarning()
    {
        var r = CliHarness.Run("compare", models.Float, models.Quantized, "--data", "fashion-mnist-1k", "--samples", "8",
            "--no-attribution", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.DoesNotContain("calibrated on", r.Err);
    }
}
