using LowBit.Tensors;

namespace LowBit.Nn.Training;

/// <summary>Accuracy of one class: correct / samples whose true label is that class (0 when it has none).</summary>
public sealed record ClassAccuracy(int Index, string Name, int Samples, int Correct, double Accuracy);

/// <summary>
/// Classification quality over a labelled set. Accuracies are fractions in [0, 1]; <see cref="Loss"/> is the mean
/// softmax cross-entropy (no label smoothing); <see cref="Confusion"/>[true][predicted] counts samples, predicted = first
/// argmax. Top-5 is top-min(5, C).
/// </summary>
public sealed record ClassificationMetrics(
    int Samples, double Loss, double Top1, double Top5, IReadOnlyList<ClassAccuracy> PerClass, int[][] Confusion);

/// <summary>Next-token quality of a language model over <see cref="Tokens"/> predicted positions: mean cross-entropy
/// ℓ (nats), perplexity e^ℓ and top-1 token accuracy.</summary>
public sealed record LanguageModelMetrics(long Tokens, double Loss, double Perplexity, double Accuracy);

/// <summary>Streams logits and integer targets of a classifier into <see cref="ClassificationMetrics"/>.</summary>
public sealed class ClassificationAccumulator
{
    private readonly int classes;
    private readonly int[][] confusion;
    private double lossSum;
    private int samples, top1, top5;

    public ClassificationAccumulator(int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes));
        this.classes = classes;
        confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
    }

    public int Samples => samples;

    /// <summary>Adds a batch: logits [B, C], targets int64 [B] in [0, C).</summary>
    public void Add(Tensor logits, Tensor targets)
    {
        if (logits.Rank != 2 || logits.Shape[1] != classes)
            throw new LowBitException(ErrorKind.InvalidInput, $"expected logits [N,{classes}], got {logits.ShapeString}");
        var loss = Losses.CrossEntropy(logits, targets);
        int n = logits.Shape[0];
        lossSum += loss.Value * n;
        top1 += Metrics.CorrectTopK(logits, targets, 1);
        top5 += Metrics.CorrectTopK(logits, targets, Math.Min(5, classes));
        var predicted = Metrics.ArgMax(logits);
        for (int i = 0; i < n; i++) confusion[targets.GetInt64(i)][predicted[i]]++;
        samples += n;
    }

    public ClassificationMetrics Result(IReadOnlyList<string>? classNames = null)
    {
        var perClass = new ClassAccuracy[classes];
        for (int c = 0; c < classes; c++)
        {
            int total = confusion[c].Sum(), correct = confusion[c][c];
            string name = classNames is not null && c < classNames.Count ? classNames[c] : c.ToString();
            perClass[c] = new ClassAccuracy(c, name, total, correct, total == 0 ? 0 : (double)correct / total);
        }
        double Frac(int k) => samples == 0 ? 0 : (double)k / samples;
        return new ClassificationMetrics(samples, samples == 0 ? 0 : lossSum / samples, Frac(top1), Frac(top5), perClass,
            confusion.Select(r => (int[])r.Clone()).ToArray());
    }
}

/// <summary>Streams logits [B, T, V] and targets [B, T] of a language model into <see cref="LanguageModelMetrics"/>.</summary>
public sealed class LanguageModelAccumulator
{
    private double lossSum;
    private long tokens, correct;

    public long Tokens => tokens;

    public void Add(Tensor logits, Tensor targets)
    {
        if (logits.Rank != 3) throw new LowBitException(ErrorKind.InvalidInput, $"expected logits [N,T,V], got {logits.ShapeString}");
        var loss = Losses.CrossEntropy(logits, targets);
        long n = targets.Length;
        lossSum += loss.Value * n;
        correct += Metrics.CorrectTopK(logits, targets, 1);
        tokens += n;
    }

    public LanguageModelMetrics Result()
    {
        double loss = tokens == 0 ? 0 : lossSum / tokens;
        return new LanguageModelMetrics(tokens, loss, Math.Exp(loss), tokens == 0 ? 0 : (double)correct / tokens);
    }
}
