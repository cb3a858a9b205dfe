using LowBit.Tensors;
using NnMetrics = LowBit.Nn.Metrics;

namespace LowBit.Reports.Metrics;

/// <summary>Accuracy of one class: samples labelled with it and how many of them were predicted correctly (top-1).</summary>
public sealed record ClassAccuracy(int Label, string Name, long Samples, long Correct)
{
    public double Top1 => Samples == 0 ? 0 : (double)Correct / Samples;
}

/// <summary>
/// Accuracy against labels. <see cref="Top1"/>/<see cref="Top5"/>: fraction of samples whose label ranks first / among
/// the 5 highest scores (ties rank the lower class first, <see cref="NnMetrics"/>); <see cref="Top5"/> is null with
/// ≤ 5 classes. <see cref="Confusion"/>[label][predicted] counts top-1 predictions (null when there are more classes than
/// the accumulator was asked to keep). Labels outside [0, classes) count as wrong.
/// </summary>
public sealed record AccuracyResult(long Samples, double Top1, double? Top5, IReadOnlyList<ClassAccuracy> PerClass, long[][]? Confusion);

/// <summary>Accumulates <see cref="AccuracyResult"/> batch by batch; memory is O(classes²) for the confusion matrix
/// (only when classes ≤ <c>maxConfusionClasses</c>) and O(classes) otherwise.</summary>
public sealed class AccuracyAccumulator
{
    private readonly long[] perClassSamples, perClassCorrect;
    private readonly long[][]? confusion;
    private readonly IReadOnlyList<string>? names;
    private long samples, top1, top5;

    public int Classes { get; }

    public AccuracyAccumulator(int classes, IReadOnlyList<string>? classNames = null, int maxConfusionClasses = 100)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), "at least one class is needed");
        Classes = classes;
        names = classNames;
        perClassSamples = new long[classes];
        perClassCorrect = new long[classes];
        if (classes <= maxConfusionClasses)
            confusion = Enumerable.Range(0, classes).Select(_ => new long[classes]).ToArray();
    }

    /// <summary>Adds a batch of scores [N, C] (or [N, C, 1, …]: trailing axes are flattened into the class axis) with
    /// integer labels [N].</summary>
    public void Add(Tensor scores, Tensor labels)
    {
        int rows = scores.Rank == 0 ? 1 : scores.Shape[0];
        if (labels.Length != rows)
            throw new LowBitException(ErrorKind.InvalidInput, $"{labels.Length} labels for {rows} rows of scores {scores.ShapeString}");
        if (rows == 0) return;
        int width = scores.Length / rows;
        if (width != Classes)
            throw new LowBitException(ErrorKind.InvalidInput, $"scores {scores.ShapeString} have {width} classes per sample, the labels {Classes}");
        var z = Tensor.FromArray(OutputFidelityAccumulator.Floats(scores), rows, width);
        var y = Tensor.FromArray(labels.ToInt64Array(), rows);
        top1 += NnMetrics.CorrectTopK(z, y, 1);
        if (Classes > 5) top5 += NnMetrics.CorrectTopK(z, y, 5);
        var predicted = NnMetrics.ArgMax(z);
        for (int r = 0; r < rows; r++)
        {
            long label = y.GetInt64(r);
            if (label < 0 || label >= Classes) continue;
            perClassSamples[label]++;
            if (predicted[r] == label) perClassCorrect[label]++;
            if (confusion is not null) confusion[label][predicted[r]]++;
        }
        samples += rows;
    }

    public AccuracyResult Result()
    {
        var perClass = Enumerable.Range(0, Classes)
            .Select(c => new ClassAccuracy(c, names is not null && c < names.Count ? names[c] : c.ToString(), perClassSamples[c], perClassCorrect[c]))
            .ToList();
        double Fraction(long n) => samples == 0 ? 0 : (double)n / samples;
        return new AccuracyResult(samples, Fraction(top1), Classes > 5 ? Fraction(top5) : null, perClass,
            confusion?.Select(r => (long[])r.Clone()).ToArray());
    }
}
