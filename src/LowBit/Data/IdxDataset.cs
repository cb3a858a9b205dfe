namespace LowBit.Data;

/// <summary>
/// Samples from an IDX array held in memory as its raw bytes (47 MB for Fashion-MNIST train, converted per read).
/// Items of rank-3 arrays [N,H,W] become [1,H,W] samples (one channel); other ranks keep dims[1..].
/// uint8 elements are scaled by 1/255 to [0,1]; other element types are passed through unscaled.
/// </summary>
public sealed class IdxDataset : Dataset
{
    private readonly IdxArray images;
    private readonly int[]? labels;
    private readonly string[]? classNames;
    private readonly int[] sampleShape;
    private readonly float divisor;

    public override string Name { get; }
    public override int Count => images.Count;
    public override int[] SampleShape => sampleShape;
    public override IReadOnlyList<string>? ClassNames => classNames;

    /// <param name="images">Samples along dim 0.</param>
    /// <param name="labels">Optional rank-1 integer array with one label per sample.</param>
    /// <param name="classNames">Names by label; when null and labels are given, "0".."K−1" with K = max label + 1.
    /// Labels outside [0, classNames.Count) are an error naming the sample.</param>
    public IdxDataset(string name, IdxArray images, IdxArray? labels = null, IReadOnlyList<string>? classNames = null)
    {
        Name = name;
        this.images = images;
        sampleShape = images.Dims.Length switch
        {
            1 => [1],
            3 => [1, images.Dims[1], images.Dims[2]],
            _ => images.Dims[1..],
        };
        divisor = images.Type == IdxType.UInt8 ? 255f : 1f;
        if (labels is null)
        {
            if (classNames is not null) throw new ArgumentException($"{name}: class names given without labels");
            return;
        }
        this.labels = ReadLabels(name, images.Count, labels, classNames?.Count);
        int k = classNames?.Count ?? (this.labels.Length == 0 ? 0 : this.labels.Max() + 1);
        this.classNames = classNames?.ToArray() ?? Enumerable.Range(0, k).Select(i => i.ToString()).ToArray();
    }

    private static int[] ReadLabels(string name, int count, IdxArray labels, int? classCount)
    {
        if (labels.Dims.Length != 1)
            throw new LowBitException(ErrorKind.InvalidInput, $"{name}: labels must be rank 1, got [{string.Join(",", labels.Dims)}]");
        if (labels.Count != count)
            throw new LowBitException(ErrorKind.InvalidInput, $"{name}: {labels.Count} labels for {count} images");
        if (labels.Type is IdxType.Float32 or IdxType.Float64)
            throw new LowBitException(ErrorKind.InvalidInput, $"{name}: labels must be integers, got {labels.Type}");
        var result = new int[count];
        for (int i = 0; i < count; i++)
        {
            int v = (int)labels.Get(i);
            if (v < 0 || (classCount is int k && v >= k))
                throw new LowBitException(ErrorKind.InvalidInput,
                    $"{name}: label {v} of sample {i} is outside [0, {(classCount is int c ? c.ToString() : "∞")})");
            result[i] = v;
        }
        return result;
    }

    public override void ReadSample(int index, Span<float> destination)
    {
        CheckIndex(index);
        CheckDestination(destination);
        images.CopyItem(index, destination, divisor);
    }

    public override int GetLabel(int index)
    {
        if (labels is null) return base.GetLabel(index);
        CheckIndex(index);
        return labels[index];
    }

    /// <summary>Opens an IDX image file and optional label file (paths in messages as given).</summary>
    public static IdxDataset Open(string imagesPath, string? labelsPath = null, IReadOnlyList<string>? classNames = null, string? name = null)
    {
        var images = Idx.Read(imagesPath);
        var labels = labelsPath is null ? null : Idx.Read(labelsPath);
        return new IdxDataset(name ?? "idx=" + imagesPath, images, labels, classNames);
    }
}
