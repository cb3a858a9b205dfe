using LowBit.Data;
using LowBit.Data.Text;
using LowBit.Nn.Zoo;
using LowBit.Tensors;

namespace LowBit.Nn.Training;

/// <summary>A character-level corpus for language models: inputs and next-token targets, both int64 [B, T].</summary>
internal sealed class TextTrainingData : TrainingData
{
    private readonly TextCorpus corpus;
    private readonly TokenDataset? validation;
    private readonly TokenBatcher batcher;
    private readonly int batchSize;
    private readonly AttentionKind attention;

    private TextTrainingData(TextCorpus corpus, TokenDataset? validation, BatchOptions options, AttentionKind attention)
    {
        this.attention = attention;
        this.corpus = corpus;
        this.validation = validation;
        batcher = new TokenBatcher(corpus.Train, options);
        batchSize = options.BatchSize;
    }

    /// <summary>Context T of a language model trained on <paramref name="spec"/>: its seq= when written out, else
    /// <paramref name="modelContext"/> (the model's own: gpt-tiny's 64).</summary>
    public static TextSpec WithContext(string specText, TextSpec spec, int modelContext) =>
        HasExplicitSeq(specText) ? spec : spec with { Options = new TextOptions(modelContext, spec.Options.ValidationFraction) };

    /// <summary>Whether the spec text sets seq= (the parser splits options at ",key=", so this matches its reading).</summary>
    public static bool HasExplicitSeq(string specText) => specText.Contains(",seq=", StringComparison.Ordinal);

    public static TextTrainingData Open(TrainingConfig config, TextSpec spec, CharVocabulary? vocabulary)
    {
        var defaults = (GptOptions)ModelZoo.Get(config.Model).DefaultOptions;
        spec = WithContext(config.Dataset, spec, defaults.Context);
        var corpus = spec.OpenText(vocabulary);
        TokenDataset? validation = config.ValidationDataset switch
        {
            "none" => null,
            null => corpus.Validation,
            string other => OpenValidation(other, spec.Options.SequenceLength, corpus.Vocabulary),
        };
        if (corpus.Train.Count == 0)
            throw new LowBitException(ErrorKind.InvalidInput, $"--dataset {config.Dataset}: no training sequence of {spec.Options.SequenceLength} characters");
        var options = new BatchOptions(config.BatchSize, shuffle: true, seed: (ulong)config.Seed,
            dropLast: corpus.Train.Count >= config.BatchSize, prefetch: PrefetchDepth);
        return new TextTrainingData(corpus, validation, options, config.Attention);
    }

    /// <summary>A separate validation text: its held-out tail (or all of it with val=0), cut at the model's context.</summary>
    private static TokenDataset OpenValidation(string text, int context, CharVocabulary vocabulary)
    {
        if (DataSpec.Parse(text) is not TextSpec spec)
            throw new LowBitException(ErrorKind.Usage, $"--validation {text}: a language model validates on text=FILE");
        var c = (spec with { Options = new TextOptions(context, spec.Options.ValidationFraction) }).OpenText(vocabulary);
        return c.Validation ?? c.Train;
    }

    public override string TrainName => corpus.Train.Name;
    public override string? ValidationName => validation?.Name;
    public override bool IsLanguageModel => true;
    public override int BatchesPerEpoch => batcher.BatchCount;
    public override CharVocabulary Vocabulary => corpus.Vocabulary;

    public override ModelOptions ModelOptions(int seed)
    {
        var d = new GptOptions();
        return new GptOptions(corpus.Vocabulary.Size, corpus.Train.SequenceLength, d.Layers, d.Heads, d.Width, d.MlpRatio, seed, attention);
    }

    public override void CheckModel(Graph.Graph graph)
    {
        DataValidation.CheckMatches(corpus.Train, graph.Inputs[0], batchSize);
        if (validation is not null) DataValidation.CheckMatches(validation, graph.Inputs[0], batchSize);
        CheckVocabulary(graph, corpus.Vocabulary.Size, corpus.Path);
    }

    /// <summary>The model's output [N, T, V] must have V = the vocabulary size.</summary>
    public static void CheckVocabulary(Graph.Graph graph, int vocabulary, string source)
    {
        var o = graph.Outputs[0];
        if (o.Shape is not { Length: 3 } s || s[2].Value is not long v || v != vocabulary)
            throw new LowBitException(ErrorKind.InvalidInput,
                $"{source}: the vocabulary has {vocabulary} characters; model output '{o.Name}' {o.ShapeString} expects [N,T,{vocabulary}]");
    }

    public override IEnumerable<TrainBatch> Epoch(int epoch, int startBatch, int count)
    {
        var order = batcher.Options.Order(corpus.Train.Count, epoch);
        foreach (var b in Prefetch.Run(count, i => batcher.Build(order, startBatch + i), PrefetchDepth))
            yield return new TrainBatch(b.Index, b.Inputs, b.Targets, b.Size, b.Targets.Length);
    }

    public override EvaluationResult? Validate(Func<Tensor, Tensor> run, int? maxSamples, CancellationToken cancellation, Action<int, int>? progress) =>
        validation is null ? null : new EvaluationResult(null, Evaluate(validation, run, batchSize, maxSamples, cancellation, progress));

    /// <summary>Runs <paramref name="run"/> (tokens → logits) over the first <paramref name="maxSequences"/> sequences in
    /// order and accumulates language-model metrics.</summary>
    public static LanguageModelMetrics Evaluate(TokenDataset data, Func<Tensor, Tensor> run, int batchSize, int? maxSequences,
        CancellationToken cancellation, Action<int, int>? progress = null)
    {
        int n = Math.Min(data.Count, maxSequences ?? int.MaxValue);
        var b = new TokenBatcher(data, new BatchOptions(batchSize, prefetch: PrefetchDepth));
        var order = Enumerable.Range(0, n).ToArray();
        int batches = (n + batchSize - 1) / batchSize, done = 0;
        var acc = new LanguageModelAccumulator();
        foreach (var batch in Prefetch.Run(batches, i => b.Build(order, i), PrefetchDepth))
        {
            cancellation.ThrowIfCancellationRequested();
            acc.Add(run(batch.Inputs), batch.Targets);
            done += batch.Size;
            progress?.Invoke(done, n);
        }
        return acc.Result();
    }
}
