using LowBit.Data;
using LowBit.Data.Text;
using LowBit.Nn.Zoo;
using LowBit.Tensors;

namespace LowBit.Nn.Training;

/// <summary>One training step's data: model input, integer targets, and how many samples (images or sequences) and
/// predicted items (images or tokens) it holds.</summary>
internal sealed record TrainBatch(int Index, Tensor Inputs, Tensor Targets, int Samples, long Items);

/// <summary>Validation results: exactly one of the two is set.</summary>
public sealed record EvaluationResult(ClassificationMetrics? Classification, LanguageModelMetrics? LanguageModel)
{
    public double Loss => Classification?.Loss ?? LanguageModel!.Loss;
    /// <summary>Top-1 (token accuracy for language models).</summary>
    public double Accuracy => Classification?.Top1 ?? LanguageModel!.Accuracy;
    public int Samples => Classification?.Samples ?? (int)Math.Min(int.MaxValue, LanguageModel!.Tokens);
}

/// <summary>
/// The data side of a training run: shuffled, seeded training batches from any batch index of any epoch (what an exact
/// resume needs: the order of epoch e is a pure function of (seed, e), see <see cref="BatchOptions"/>), validation, and the
/// model options the data implies (input shape and classes, or vocabulary and context).
/// </summary>
internal abstract class TrainingData
{
    public const int PrefetchDepth = 2;

    public abstract string TrainName { get; }
    public abstract string? ValidationName { get; }
    public abstract bool IsLanguageModel { get; }
    /// <summary>Full batches per epoch (the last partial batch is dropped: a batch of one has no BatchNorm variance).</summary>
    public abstract int BatchesPerEpoch { get; }
    public abstract ModelOptions ModelOptions(int seed);
    /// <summary>Checks that the data fits <paramref name="graph"/>'s input and output, naming what was expected.</summary>
    public abstract void CheckModel(Graph.Graph graph);
    public abstract IEnumerable<TrainBatch> Epoch(int epoch, int startBatch, int count);
    /// <summary>Null when there is no validation data.</summary>
    public abstract EvaluationResult? Validate(Func<Tensor, Tensor> run, int? maxSamples, CancellationToken cancellation, Action<int, int>? progress);
    public virtual CharVocabulary? Vocabulary => null;
    public virtual IReadOnlyList<string>? ClassNames => null;

    /// <summary>Opens the data a config names. <paramref name="vocabulary"/> (from a checkpoint) fixes token ids.</summary>
    public static TrainingData Open(TrainingConfig config, CharVocabulary? vocabulary = null)
    {
        var spec = DataSpec.Parse(config.Dataset);
        bool lm = ModelZoo.All.FirstOrDefault(m => m.Name == config.Model)?.DefaultOptions is GptOptions;
        if (spec is TextSpec text)
        {
            if (!lm)
                throw new LowBitException(ErrorKind.Usage,
                    $"--dataset {config.Dataset}: text trains language models (gpt-tiny); {config.Model} is an image classifier");
            return TextTrainingData.Open(config, text, vocabulary);
        }
        if (lm)
            throw new LowBitException(ErrorKind.Usage,
                $"--dataset {config.Dataset}: {config.Model} is a language model; train it on text=FILE");
        return ImageTrainingData.Open(config, spec);
    }

    /// <summary>The largest label of a labelled dataset (−1 when it is empty).</summary>
    internal static int MaxLabel(Dataset d)
    {
        int max = -1;
        for (int i = 0; i < d.Count; i++) max = Math.Max(max, d.GetLabel(i));
        return max;
    }

    /// <summary>Classes of a classifier: the last dim of its first output [N, C].</summary>
    internal static int ClassesOf(Graph.Graph g)
    {
        var o = g.Outputs[0];
        if (o.Shape is not { Length: 2 } s || s[1].Value is not long c)
            throw new LowBitException(ErrorKind.InvalidInput, $"model output '{o.Name}' has shape {o.ShapeString}; a classifier's is [N, classes]");
        return (int)c;
    }

    /// <summary>Throws unless every label of <paramref name="d"/> is below the model's class count.</summary>
    internal static void CheckLabels(Dataset d, Graph.Graph g)
    {
        if (!d.HasLabels) throw new LowBitException(ErrorKind.InvalidInput, $"{d.Name} has no labels; training and evaluation need them");
        int classes = ClassesOf(g), max = MaxLabel(d);
        if (max >= classes)
        {
            int at = Enumerable.Range(0, d.Count).First(i => d.GetLabel(i) == max);
            throw new LowBitException(ErrorKind.InvalidInput,
                $"{d.Name}: label {max} (sample {at}) is out of range for the model's {classes} classes (output '{g.Outputs[0].Name}' {g.Outputs[0].ShapeString} expects labels 0..{classes - 1})");
        }
    }
}
