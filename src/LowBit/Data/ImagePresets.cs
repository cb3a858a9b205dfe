using System.IO.Compression;
using System.Runtime.InteropServices;

namespace LowBit.Data;

/// <summary>
/// Converts interleaved 8-bit RGBA pixels (H×W×4, row-major) to a [C,H,W] float sample. Per preset, with r,g,b the
/// 0..255 channel values of pixel (y,x):
/// <list type="bullet">
/// <item><c>unit</c>: out[c] = rgb[c]/255.</item>
/// <item><c>imagenet</c>: out[c] = (rgb[c]/255 − μ[c])/σ[c], μ = (0.485,0.456,0.406), σ = (0.229,0.224,0.225).</item>
/// <item><c>imagenet-bgr-mean</c>: out[c] = bgr[c] − M[c,y,x], 0..255 scale, where M is the 224×224 mean image of the
///   <c>MeanImage</c> initializer in ML.NET's <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c> (package
///   Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, MIT). That model takes RGB 0..255, splits channels, concatenates
///   them as B,G,R and subtracts M (channel means ≈ B 103.06, G 115.90, R 123.15); this preset is that model
///   applied to the crop, so its output feeds ResNet18.onnx directly. M is embedded as float16 (|error| ≤ 2⁻⁴ for
///   values in [64,256), far below one gray level).</item>
/// <item><c>gray</c>: out[0] = (0.299r + 0.587g + 0.114b)/255 (ITU-R BT.601 luma, as PIL's "L" mode).</item>
/// </list>
/// Alpha is ignored (pixels are decoded unpremultiplied).
/// </summary>
public static class ImagePresets
{
    public const int BgrMeanSize = 224;
    internal const string BgrMeanResource = "LowBit.Data.resnet-preprocess-mean.f16.gz";

    private static readonly float[] ImagenetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImagenetStd = [0.229f, 0.224f, 0.225f];
    private static readonly Lazy<float[]> BgrMean = new(LoadBgrMean);

    public static string NameOf(ImagePreset p) => p switch
    {
        ImagePreset.Unit => "unit",
        ImagePreset.Imagenet => "imagenet",
        ImagePreset.ImagenetBgrMean => "imagenet-bgr-mean",
        _ => "gray",
    };

    public static IReadOnlyList<string> Names { get; } = Enum.GetValues<ImagePreset>().Select(NameOf).ToArray();

    public static ImagePreset Parse(string name)
    {
        foreach (var p in Enum.GetValues<ImagePreset>())
            if (NameOf(p) == name.ToLowerInvariant()) return p;
        throw new LowBitException(ErrorKind.Usage, $"unknown image preset '{name}'; known: {string.Join(", ", Names)}");
    }

    /// <summary>The [3,224,224] BGR mean image that <c>imagenet-bgr-mean</c> subtracts (a copy).</summary>
    public static float[] BgrMeanImage() => (float[])BgrMean.Value.Clone();

    /// <summary>Applies <paramref name="preset"/> to <paramref name="rgba"/> (width·height·4 bytes) into
    /// <paramref name="destination"/> ([C,height,width]).</summary>
    public static void Apply(ImagePreset preset, ReadOnlySpan<byte> rgba, int width, int height, Span<float> destination)
    {
        int plane = width * height;
        if (rgba.Length < 4 * plane) throw new ArgumentException("pixel buffer too small");
        switch (preset)
        {
            case ImagePreset.Gray:
                for (int i = 0; i < plane; i++)
                    destination[i] = (0.299f * rgba[4 * i] + 0.587f * rgba[4 * i + 1] + 0.114f * rgba[4 * i + 2]) / 255f;
                break;
            case ImagePreset.ImagenetBgrMean:
                if (width != BgrMeanSize || height != BgrMeanSize)
                    throw new ArgumentException($"imagenet-bgr-mean needs {BgrMeanSize}×{BgrMeanSize} pixels");
                var mean = BgrMean.Value;
                for (int c = 0; c < 3; c++)
                {
                    int src = 2 - c;  // B,G,R ← RGBA bytes 2,1,0
                    for (int i = 0; i < plane; i++) destination[c * plane + i] = rgba[4 * i + src] - mean[c * plane + i];
                }
                break;
            default:
                // Evaluated as written, (x/255 − μ)/σ, so results equal torchvision's ToTensor + Normalize bit for bit.
                bool norm = preset == ImagePreset.Imagenet;
                for (int c = 0; c < 3; c++)
                {
                    var dst = destination.Slice(c * plane, plane);
                    for (int i = 0; i < plane; i++) dst[i] = rgba[4 * i + c] / 255f;
                    if (norm)
                        for (int i = 0; i < plane; i++) dst[i] = (dst[i] - ImagenetMean[c]) / ImagenetStd[c];
                }
                break;
        }
    }

    private static float[] LoadBgrMean()
    {
        using var res = typeof(ImagePresets).Assembly.GetManifestResourceStream(BgrMeanResource)
            ?? throw new InvalidOperationException($"embedded resource {BgrMeanResource} is missing from the LowBit assembly");
        return ReadF16Gzip(res, 3 * BgrMeanSize * BgrMeanSize);
    }

    private static float[] ReadF16Gzip(Stream s, int count)
    {
        using var gz = new GZipStream(s, CompressionMode.Decompress);
        var halves = new Half[count];
        gz.ReadExactly(MemoryMarshal.AsBytes(halves.AsSpan()));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("mean image is stored little-endian");
        return halves.Select(h => (float)h).ToArray();
    }

    /// <summary>
    /// Writes the mean image resource from <paramref name="preprocessOnnx"/> (ML.NET's ResNetPreprocess.onnx): its
    /// [1,3,224,224] float32 <c>MeanImage</c> initializer as little-endian float16, gzip. This is how
    /// <c>src/LowBit/Data/Resources/resnet-preprocess-mean.f16.gz</c> was made.
    /// </summary>
    public static void WriteBgrMeanResource(string preprocessOnnx, string outputPath)
    {
        var graph = Onnx.OnnxImporter.Load(preprocessOnnx);
        if (!graph.Initializers.TryGetValue("MeanImage", out var mean) || mean.Length != 3 * BgrMeanSize * BgrMeanSize)
            throw new LowBitException(ErrorKind.InvalidModel, $"{preprocessOnnx}: no [1,3,224,224] MeanImage initializer");
        var halves = mean.ToFloatArray().Select(v => (Half)v).ToArray();
        Onnx.AtomicFile.Write(outputPath, file =>
        {
            using var gz = new GZipStream(file, CompressionLevel.SmallestSize, leaveOpen: true);
            gz.Write(MemoryMarshal.AsBytes(halves.AsSpan()));
        });
    }
}
