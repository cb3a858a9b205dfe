namespace LowBit.Data;

/// <summary>Channel order and normalization applied to decoded 8-bit pixels (see <see cref="ImagePresets"/>).</summary>
public enum ImagePreset
{
    /// <summary>RGB, x/255 ∈ [0,1].</summary>
    Unit,
    /// <summary>RGB, (x/255 − mean)/std with ImageNet mean (0.485,0.456,0.406), std (0.229,0.224,0.225).</summary>
    Imagenet,
    /// <summary>BGR, 0..255 minus the 224×224 mean image of ML.NET's ResNetPreprocess.onnx.</summary>
    ImagenetBgrMean,
    /// <summary>One channel, luma (0.299R + 0.587G + 0.114B)/255.</summary>
    Gray,
}

/// <summary>How a decoded image becomes size×size.</summary>
public enum ImageCrop
{
    /// <summary>Scale the shorter side to round(size·256/224), then take the centered size×size square.</summary>
    Center,
    /// <summary>Scale both sides to size (aspect ratio not kept).</summary>
    None,
}

/// <summary>
/// Options of an image-folder dataset. With <see cref="RandomCrops"/> &gt; 0 the dataset instead yields that many
/// square crops at random positions and scales (side = shorter side·√u, u uniform in [<see cref="MinCropArea"/>, 1]),
/// each resized to size×size, seeded by (<see cref="Seed"/>, crop index): calibration data from a few large photos.
/// </summary>
public sealed record ImageOptions
{
    public const double MinCropArea = 0.1;

    public ImagePreset Preset { get; }
    public int Size { get; }
    public ImageCrop Crop { get; }
    public int RandomCrops { get; }
    public ulong Seed { get; }

    public ImageOptions(ImagePreset preset = ImagePreset.Unit, int size = 224, ImageCrop crop = ImageCrop.Center, int randomCrops = 0, ulong seed = 0)
    {
        if (size is < 1 or > 8192) throw new LowBitException(ErrorKind.Usage, $"image size {size} is outside 1..8192");
        if (randomCrops < 0) throw new LowBitException(ErrorKind.Usage, $"crops={randomCrops} must be ≥ 0");
        if (preset == ImagePreset.ImagenetBgrMean && size != ImagePresets.BgrMeanSize)
            throw new LowBitException(ErrorKind.Usage, $"preset imagenet-bgr-mean subtracts a {ImagePresets.BgrMeanSize}×{ImagePresets.BgrMeanSize} mean image: use size={ImagePresets.BgrMeanSize}");
        Preset = preset;
        Size = size;
        Crop = crop;
        RandomCrops = randomCrops;
        Seed = seed;
    }

    /// <summary>Output width when it differs from the height <see cref="Size"/> (<c>size=HxW</c>); null: square.</summary>
    public int? Width
    {
        get => width;
        init
        {
            if (value is < 1 or > 8192) throw new LowBitException(ErrorKind.Usage, $"image width {value} is outside 1..8192");
            if (value is not null && value != Size && (RandomCrops > 0 || Preset == ImagePreset.ImagenetBgrMean))
                throw new LowBitException(ErrorKind.Usage, $"size={Size}x{value}: random crops and preset imagenet-bgr-mean take square images");
            width = value == Size ? null : value;
        }
    }

    /// <summary><c>height=H,keep-aspect</c>: each image is resized to height <see cref="Size"/> and the width that keeps
    /// its aspect ratio, round(H·w/h), uncropped; samples then differ in width (for models with a dynamic width).</summary>
    public bool KeepAspect
    {
        get => keepAspect;
        init
        {
            if (value && (RandomCrops > 0 || Preset == ImagePreset.ImagenetBgrMean))
                throw new LowBitException(ErrorKind.Usage, "keep-aspect: random crops and preset imagenet-bgr-mean take square images");
            keepAspect = value;
        }
    }

    private readonly int? width;
    private readonly bool keepAspect;

    public int Channels => Preset == ImagePreset.Gray ? 1 : 3;
    public int OutWidth => Width ?? Size;
    public int[] SampleShape => [Channels, Size, OutWidth];
}
