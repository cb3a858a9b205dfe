using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Data.Inputs;

/// <summary>
/// <c>images=DIR,height=H,keep-aspect</c>: each image of the folder (order, labels and skipped files as
/// <see cref="ImageFolderDataset"/>) resized whole to height H and width round(H·w/h), preset applied: sample i is
/// [1,C,H,Wᵢ]. For models with a dynamic width (text-line recognizers, [N,3,48,W]).
/// </summary>
public sealed class ImageAspectSource : SampleSource
{
    private readonly ImageFolderDataset folder;
    private readonly ValueInfo input;

    public override string Name { get; }
    public override int Count => folder.Files.Count;
    public override IReadOnlyList<string> InputNames => [input.Name];
    public override IReadOnlyList<string> Warnings => folder.Warnings;

    public ImageAspectSource(string name, ImageFolderDataset folder, ValueInfo input)
    {
        if (input.DType is not (DType.Float32 or DType.Undefined))
            throw new LowBitException(ErrorKind.InvalidInput, $"{name}: gives float32 images; input '{input.Name}' expects {input.DType.Name()} {input.ShapeString}");
        Name = name;
        this.folder = folder;
        this.input = input;
    }

    public override IReadOnlyDictionary<string, Tensor> Read(int index)
    {
        CheckIndex(index);
        string file = folder.Files[index];
        var o = folder.Options;
        int h = o.Size;
        using var bmp = ImageDecoder.Decode(file, 2 * h);
        int w = ImageShapes.KeepAspectWidth(bmp.Width, bmp.Height, h);
        var rgba = new byte[4 * w * h];
        ImageDecoder.Render(bmp, new SkiaSharp.SKRect(0, 0, bmp.Width, bmp.Height), w, h, rgba);
        var pixels = new float[o.Channels * h * w];
        ImagePresets.Apply(o.Preset, rgba, w, h, pixels);
        var t = Tensor.FromArray(pixels, o.Channels, h, w);
        return new Dictionary<string, Tensor>(1) { [input.Name] = InputFit.Fit(t, input, file) };
    }
}
