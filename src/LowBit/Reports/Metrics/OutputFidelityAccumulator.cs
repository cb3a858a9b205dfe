using LowBit.Tensors;
using NnMetrics = LowBit.Nn.Metrics;

namespace LowBit.Reports.Metrics;

/// <summary>
/// How closely a test output follows its reference over a dataset. A sample is one slice along the first (batch) axis.
/// <list type="bullet">
/// <item><see cref="SqnrDb"/>, <see cref="CosineGlobal"/>, <see cref="MaxAbsError"/>: over every element of every
/// sample (<see cref="ErrorStats"/>).</item>
/// <item><see cref="CosineMean"/>: the mean over samples of each sample's cosine similarity.</item>
/// <item>Pairs where either value is NaN or ±Inf are left out of SQNR, cosine, max error and KL alike and counted in
/// <see cref="NonFinite"/>: the per-sample cosine and KL use the sample's finite pairs only (KL: softmax over the classes both models score finitely),
/// and a sample with no finite pair is left out of their means.</item>
/// <item>Classifier outputs only (null otherwise): <see cref="Top1Agreement"/> = fraction of samples whose test argmax
/// equals the reference argmax; <see cref="Top5Agreement"/> = fraction whose reference argmax is among the test's 5
/// highest scores (null when there are ≤ 5 classes, where it is trivially 1); <see cref="KlDivergence"/> = mean over
/// samples of KL(softmax(reference) ‖ softmax(test)) in nats. Ties rank the lower class first, as
/// <see cref="NnMetrics"/> does.</item>
/// </list>
/// </summary>
public sealed record OutputFidelity(string Name, long Samples, long Elements, double SqnrDb, double CosineMean, double CosineGlobal,
    double MaxAbsError, long NonFinite, double? Top1Agreement, double? Top5Agreement, double? KlDivergence);

/// <summary>Accumulates <see cref="OutputFidelity"/> batch by batch (memory: one batch's rows at a time).</summary>
public sealed class OutputFidelityAccumulator
{
    private readonly ErrorStats stats = new();
    private double cosineSum, klSum;
    private long samples, finiteRows, top1, topK;
    private int width;

    public string Name { get; }
    public bool Classifier { get; }
    public int TopK { get; }

    /// <param name="classifier">Rows are class scores (logits or probabilities): agreement and KL are computed.</param>
    /// <param name="topK">k of the top-k agreement (5 by default).</param>
    public OutputFidelityAccumulator(string name, bool classifier, int topK = 5)
    {
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), "k must be at least 1");
        Name = name;
        Classifier = classifier;
        TopK = topK;
    }

    /// <summary>Adds one batch: <paramref name="reference"/> and <paramref name="test"/> of one shape [N, …].</summary>
    public void Add(Tensor reference, Tensor test)
    {
        if (!reference.Shape.SequenceEqual(test.Shape))
            throw new LowBitException(ErrorKind.InvalidInput, $"output '{Name}': reference shape {reference.ShapeString} differs from test shape {test.ShapeString}");
        var x = Floats(reference);
        var y = Floats(test);
        int rows = reference.Rank == 0 ? 1 : reference.Shape[0];
        if (rows == 0) return;
        width = x.Length / rows;
        stats.Add(x, y);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.AsSpan(r * width, width);
            var yr = y.AsSpan(r * width, width);
            var row = new ErrorStats();
            row.Add(xr, yr);
            if (row.Count == 0 && width > 0) continue;  // nothing finite to compare in this sample
            finiteRows++;
            cosineSum += row.Cosine;
            if (Classifier && width > 0) klSum += row.NonFinite == 0 ? Divergence.SoftmaxKl(xr, yr) : FinitePairsKl(xr, yr);
        }
        if (Classifier && width > 0)
        {
            var refRows = Tensor.FromArray(x, rows, width);
            var testRows = Tensor.FromArray(y, rows, width);
            var refTop = NnMetrics.ArgMax(refRows);
            var testTop = NnMetrics.ArgMax(testRows);
            for (int r = 0; r < rows; r++) if (refTop[r] == testTop[r]) top1++;
            if (width > TopK) topK += NnMetrics.CorrectTopK(testRows, Tensor.FromArray(refTop, rows), TopK);
        }
        samples += rows;
    }

    public OutputFidelity Result()
    {
        double? Fraction(long n) => Classifier && samples > 0 ? (double)n / samples : null;
        bool hasTopK = Classifier && samples > 0 && width > TopK;
        double Mean(double sum) => finiteRows == 0 ? double.NaN : sum / finiteRows;
        return new OutputFidelity(Name, samples, stats.Count + stats.NonFinite, stats.Sqnr,
            Mean(cosineSum), stats.Cosine, stats.MaxAbsError, stats.NonFinite,
            Fraction(top1), hasTopK ? Fraction(topK) : null, Classifier && samples > 0 ? Mean(klSum) : null);
    }

    /// <summary>KL of the classes where both rows are finite (the pairs <see cref="ErrorStats"/> keeps).</summary>
    private static double FinitePairsKl(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var fx = new List<float>(x.Length);
        var fy = new List<float>(y.Length);
        for (int i = 0; i < x.Length; i++)
        {
            if (!float.IsFinite(x[i]) || !float.IsFinite(y[i])) continue;
            fx.Add(x[i]);
            fy.Add(y[i]);
        }
        return Divergence.SoftmaxKl(fx.ToArray(), fy.ToArray());
    }

    /// <summary>The values as float32 (a copy; other numeric types are converted).</summary>
    internal static float[] Floats(Tensor t) => t.DType == DType.Float32 ? t.AsReadOnlySpan<float>().ToArray() : t.ToFloatArray();
}
