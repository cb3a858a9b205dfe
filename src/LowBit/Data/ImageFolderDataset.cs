using SkiaSharp;

namespace LowBit.Data;

/// <summary>
/// Images decoded on demand from a folder: one subfolder per class (labelled, classes in ordinal name order, files
/// searched recursively) or a flat folder (unlabelled). Files that are not readable images or are truncated
/// (<see cref="ImageIntegrity"/>) are skipped when the folder is opened, listed in <see cref="SkippedFiles"/> and named,
/// with the reason, in a warning. Samples are [C,size,size] or [C,H,W] per <see cref="ImageOptions"/>.
/// </summary>
public sealed class ImageFolderDataset : Dataset
{
    private readonly string[] files;
    private readonly int[]? fileLabels;
    private readonly string[]? classNames;
    private readonly List<string> warnings = [];
    private (int Index, SKBitmap Bitmap)? cached;
    private readonly Lock cacheLock = new();

    public ImageOptions Options { get; }
    public string Directory { get; }
    public IReadOnlyList<string> Files => files;
    public IReadOnlyList<string> SkippedFiles { get; }

    public override string Name { get; }
    public override int Count => Options.RandomCrops > 0 ? Options.RandomCrops : files.Length;
    public override int[] SampleShape { get; }
    public override IReadOnlyList<string>? ClassNames => classNames;
    public override IReadOnlyList<string> Warnings => warnings;

    private ImageFolderDataset(string directory, ImageOptions options, string[] files, int[]? labels, string[]? classes,
        List<(string File, string Reason)> skipped, int ignoredTopLevel)
    {
        Directory = directory;
        Options = options;
        Name = "images=" + directory;
        this.files = files;
        fileLabels = labels;
        classNames = classes;
        SkippedFiles = skipped.Select(s => s.File).ToList();
        SampleShape = options.SampleShape;
        if (skipped.Count > 0)
            warnings.Add($"{Name}: skipped {skipped.Count} unreadable image{(skipped.Count == 1 ? "" : "s")}: {ImageIntegrity.Describe(skipped, directory)}");
        if (ignoredTopLevel > 0)
            warnings.Add($"{Name}: ignored {ignoredTopLevel} image{(ignoredTopLevel == 1 ? "" : "s")} outside the class folders");
    }

    /// <summary>Scans <paramref name="directory"/>; a folder with no image files (.png .jpg .jpeg .bmp .webp .gif),
    /// or none readable, is an error naming it.</summary>
    public static ImageFolderDataset Open(string directory, ImageOptions? options = null)
    {
        options ??= new ImageOptions();
        if (!System.IO.Directory.Exists(directory))
            throw new LowBitException(ErrorKind.FileNotFound, $"images={directory}: folder {directory} does not exist");
        var top = ImagesIn(directory, SearchOption.TopDirectoryOnly);
        var classDirs = System.IO.Directory.EnumerateDirectories(directory)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .Select(d => (Name: Path.GetFileName(d), Files: ImagesIn(d, SearchOption.AllDirectories)))
            .Where(c => c.Files.Length > 0)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToArray();
        var candidates = classDirs.Length > 0
            ? classDirs.SelectMany((c, label) => c.Files.Select(f => (File: f, Label: label))).ToList()
            : top.Select(f => (File: f, Label: -1)).ToList();
        if (candidates.Count == 0)
            throw new LowBitException(ErrorKind.InvalidInput,
                $"images={directory}: no images ({string.Join(" ", ImageDecoder.Extensions)}) in {directory} or its subfolders");
        var skipped = new List<(string File, string Reason)>();
        var readable = candidates.Where(c =>
        {
            if (ImageIntegrity.Problem(c.File) is not { } why) return true;
            skipped.Add((c.File, why));
            return false;
        }).ToList();
        if (readable.Count == 0)
            throw new LowBitException(ErrorKind.InvalidInput, $"images={directory}: none of its {candidates.Count} image files can be decoded: {ImageIntegrity.Describe(skipped, directory)}");
        return new ImageFolderDataset(directory, options,
            readable.Select(c => c.File).ToArray(),
            classDirs.Length > 0 ? readable.Select(c => c.Label).ToArray() : null,
            classDirs.Length > 0 ? classDirs.Select(c => c.Name).ToArray() : null,
            skipped, classDirs.Length > 0 ? top.Length : 0);
    }

    private static string[] ImagesIn(string dir, SearchOption depth) =>
        System.IO.Directory.EnumerateFiles(dir, "*", depth).Where(ImageDecoder.HasImageExtension)
            .Order(StringComparer.Ordinal).ToArray();

    /// <summary>Index of the file that sample <paramref name="index"/> comes from. Random crops take contiguous runs
    /// of samples from each file, so reading in order decodes each file once.</summary>
    public int FileOf(int index)
    {
        CheckIndex(index);
        return Options.RandomCrops > 0 ? (int)((long)index * files.Length / Options.RandomCrops) : index;
    }

    public override int GetLabel(int index) => fileLabels is null ? base.GetLabel(index) : fileLabels[FileOf(index)];

    public override void ReadSample(int index, Span<float> destination)
    {
        CheckDestination(destination);
        int file = FileOf(index);
        int size = Options.Size, width = Options.OutWidth;
        var rgba = new byte[4 * size * width];
        if (Options.RandomCrops == 0)
        {
            // Decode at ≥ 2× the resized shorter side (round(size·256/224)), so the final resample still averages.
            using var bmp = ImageDecoder.Decode(files[file], 2 * (int)Math.Round(Math.Max(size, width) * 256.0 / 224.0));
            ImageDecoder.Render(bmp, ImageShapes.SourceRect(bmp.Width, bmp.Height, width, size, Options.Crop), width, size, rgba);
        }
        else
        {
            var bmp = CachedDecode(file);
            ImageDecoder.Render(bmp, RandomCropRect(bmp.Width, bmp.Height, Rng.Derive(Options.Seed, index)), size, size, rgba);
        }
        ImagePresets.Apply(Options.Preset, rgba, width, size, destination);
    }

    /// <summary>A square of side shorter·√u, u ~ U[<see cref="ImageOptions.MinCropArea"/>, 1] (so its area is a
    /// uniform fraction of the largest square), at a uniform position inside the image.</summary>
    internal static SKRect RandomCropRect(int width, int height, ulong seed)
    {
        var rng = new Rng(seed);
        double u = ImageOptions.MinCropArea + (1 - ImageOptions.MinCropArea) * rng.NextDouble();
        double side = Math.Max(1, Math.Min(width, height) * Math.Sqrt(u));
        double left = rng.NextDouble() * (width - side), top = rng.NextDouble() * (height - side);
        return new SKRect((float)left, (float)top, (float)(left + side), (float)(top + side));
    }

    private SKBitmap CachedDecode(int file)
    {
        lock (cacheLock)
        {
            if (cached is { } c && c.Index == file) return c.Bitmap;
        }
        // A replaced bitmap is left to its finalizer: another thread may still be reading it.
        var bmp = ImageDecoder.Decode(files[file]);
        lock (cacheLock) cached = (file, bmp);
        return bmp;
    }
}
