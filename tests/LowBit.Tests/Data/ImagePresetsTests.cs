using LowBit.Data;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Tensors;
using SkiaSharp;

namespace LowBit.Tests.Data;

public class ImagePresetsTests
{
    [RequiresResNetPackageFact]
    public void BgrMeanImage_Embedded_IsTheModelsMeanImageRoundedToFloat16()
    {
        var model = OnnxImporter.Load(RealModels.ResNetPreprocess).Initializers["MeanImage"].ToFloatArray();
        var embedded = ImagePresets.BgrMeanImage();
        Assert.Equal(model.Length, embedded.Length);
        for (int i = 0; i < model.Length; i++)
            Assert.True(embedded[i] == (float)(Half)model[i], $"element {i}: {embedded[i]} vs {model[i]}");
    }

    /// <summary>
    /// The preset against ML.NET's own preprocessing model run by ONNX Runtime on the same decoded 224×224 RGB crop.
    /// Tolerance 0.0625 + 1e-4: the embedded mean image is float16 (|rounding| ≤ 2⁻⁴ for values in [64,256)), and the
    /// crop goes to ORT as (x/255)·255, exact to float32 rounding (≤ 1e-4 at 255).
    /// </summary>
    [RequiresResNetPackageFact]
    public void Apply_ImagenetBgrMean_MatchesResNetPreprocessInOnnxRuntime()
    {
        using var tmp = new TempDir();
        ImageFolderDatasetTests.WriteImage(tmp.File("photo.png"), 301, 250,
            (x, y) => new SKColor((byte)(x * 3 + y), (byte)(255 - y), (byte)((x * y) >> 4)));
        var unit = ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.Unit, 224)).GetSample(0);
        var ours = ImageFolderDataset.Open(tmp.Path, new ImageOptions(ImagePreset.ImagenetBgrMean, 224)).GetSample(0);

        var rgb255 = unit.ToFloatArray().Select(v => v * 255f).ToArray();
        using var ort = OrtRunner.FromFile(RealModels.ResNetPreprocess, threads: 1);
        var expected = ort.Run(new Dictionary<string, Tensor> { ["OriginalInput"] = Tensor.FromArray(rgb255, 1, 3, 224, 224) })["PreprocessedInput"];
        TensorAssert.Close(expected, ours.Reshape(1, 3, 224, 224), rtol: 0, atol: 0.0625 + 1e-4, "imagenet-bgr-mean vs ResNetPreprocess.onnx");
    }

    [Fact]
    public void Parse_EveryName_RoundTripsAndUnknownListsKnown()
    {
        foreach (var p in Enum.GetValues<ImagePreset>()) Assert.Equal(p, ImagePresets.Parse(ImagePresets.NameOf(p)));
        var e = Assert.Throws<LowBitException>(() => ImagePresets.Parse("caffe"));
        Assert.Contains("imagenet-bgr-mean", e.Message);
    }
}
