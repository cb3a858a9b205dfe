using LowBit.Tensors;

namespace LowBit.Data;

/// <summary>
/// Samples from NumPy files: either one array whose first dim is the sample dim (loaded once, converted to float32),
/// or a folder with one <c>.npy</c> per sample (ordinal file-name order, read on demand; a file of shape [1, …] counts
/// as one sample of shape […] when that is the expected shape). Values are converted to float32 unscaled.
/// </summary>
public sealed class NpyDataset : Dataset
{
    private readonly float[]? batch;
    private readonly string[]? files;
    private readonly int[]? labels;
    private readonly string[]? classNames;
    private readonly List<string> warnings = [];

    public override string Name { get; }
    public override int Count { get; }
    public override int[] SampleShape { get; }
    public override IReadOnlyList<string>? ClassNames => classNames;
    public override IReadOnlyList<string> Warnings => warnings;

    private NpyDataset(string name, int count, int[] sampleShape, float[]? batch, string[]? files, int[]? labels)
    {
        Name = name;
        Count = count;
        SampleShape = sampleShape;
        this.batch = batch;
        this.files = files;
        this.labels = labels;
        if (labels is not null)
            classNames = Enumerable.Range(0, labels.Length == 0 ? 0 : labels.Max() + 1).Select(i => i.ToString()).ToArray();
    }

    /// <param name="path">A .npy file (samples along dim 0) or a folder of .npy files (one sample each).</param>
    /// <param name="labelsPath">Optional rank-1 integer .npy with one label per sample.</param>
    /// <param name="expectedSampleShape">The model's sample shape, used only to drop a leading 1 from per-file arrays.</param>
    public static NpyDataset Open(string path, string? labelsPath = null, int[]? expectedSampleShape = null)
    {
        string name = "npy=" + path;
        NpyDataset result;
        string? unscaled;
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*.npy").Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{name}: no .npy files in {path}");
            var first = Npy.Read(files[0]);
            var shape = SampleShapeOf(first.Shape, expectedSampleShape);
            result = new NpyDataset(name, files.Length, shape, null, files, null);
            unscaled = UnscaledIntegers(first.DType, ToFloats(first, files[0]));
        }
        else if (File.Exists(path))
        {
            var t = Npy.Read(path);
            if (t.Rank == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{name}: a scalar has no sample dimension");
            result = new NpyDataset(name, t.Shape[0], t.Shape[1..], ToFloats(t, path), null, null);
            unscaled = UnscaledIntegers(t.DType, result.batch!);
        }
        else
        {
            throw new LowBitException(ErrorKind.FileNotFound, $"{name}: {path} does not exist");
        }
        if (labelsPath is not null)
            result = new NpyDataset(name, result.Count, result.SampleShape, result.batch, result.files, ReadLabels(labelsPath, result.Count, name));
        if (unscaled is not null) result.warnings.Add($"{name}: {unscaled}");
        return result;
    }

    /// <summary>
    /// Integer arrays become float32 unscaled: 0–255 pixels stay 0–255, while most image models expect [0, 1] or a
    /// normalized range (fashion-cnn fed such data scores 45.7 % instead of 92 %). Said once, naming the dtype and range.
    /// </summary>
    internal static string? UnscaledIntegers(DType source, ReadOnlySpan<float> values)
    {
        if (source is DType.Float16 or DType.Float32 or DType.Float64 or DType.BFloat16 or DType.Bool || values.IsEmpty) return null;
        float max = System.Numerics.Tensors.TensorPrimitives.Max(values);
        return max > 1
            ? $"{source.Name()} array cast to float32 without scaling (values up to {max:0}); divide by 255 first if the model expects [0, 1] pixels"
            : null;
    }

    private static int[] SampleShapeOf(int[] fileShape, int[]? expected) =>
        expected is not null && fileShape.Length == expected.Length + 1 && fileShape[0] == 1 && fileShape[1..].SequenceEqual(expected)
            ? expected
            : fileShape;

    private static float[] ToFloats(Tensor t, string path)
    {
        if (t.DType == DType.String)
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: {t.DType.Name()} arrays cannot be samples");
        return t.DType == DType.Float32 ? t.AsSpan<float>().ToArray() : t.ToFloatArray();
    }

    private static int[] ReadLabels(string path, int count, string name)
    {
        var t = Npy.Read(path);
        if (t.Rank != 1 || t.Length != count)
            throw new LowBitException(ErrorKind.InvalidInput, $"{name}: labels {path} have shape [{string.Join(",", t.Shape)}], expected [{count}]");
        if (t.DType is DType.Float16 or DType.Float32 or DType.Float64 or DType.BFloat16)
            throw new LowBitException(ErrorKind.InvalidInput, $"{name}: labels {path} must be integers, got {t.DType.Name()}");
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            long v = t.GetInt64(i);
            if (v is < 0 or > int.MaxValue)
                throw new LowBitException(ErrorKind.InvalidInput, $"{name}: label {v} of sample {i} in {path} is negative or too large");
            labels[i] = (int)v;
        }
        return labels;
    }

    public override void ReadSample(int index, Span<float> destination)
    {
        CheckIndex(index);
        CheckDestination(destination);
        int n = SampleLength;
        if (batch is not null)
        {
            batch.AsSpan(index * n, n).CopyTo(destination);
            return;
        }
        string file = files![index];
        var t = Npy.Read(file);
        if (t.Length != n || SampleShapeOf(t.Shape, SampleShape) is var s && !s.SequenceEqual(SampleShape))
            throw new LowBitException(ErrorKind.InvalidInput, $"{file}: shape [{string.Join(",", t.Shape)}] differs from the first file's [{string.Join(",", SampleShape)}]");
        ToFloats(t, file).AsSpan().CopyTo(destination);
    }

    public override int GetLabel(int index)
    {
        if (labels is null) return base.GetLabel(index);
        CheckIndex(index);
        return labels[index];
    }
}
