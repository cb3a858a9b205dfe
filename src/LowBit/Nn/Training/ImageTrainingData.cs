using LowBit.Data;
using LowBit.Nn.Zoo;
using LowBit.Tensors;

namespace LowBit.Nn.Training;

/// <summary>Labelled images ([C,H,W] float32 samples, int64 labels) for classifiers.</summary>
internal sealed class ImageTrainingData : TrainingData
{
    private readonly Dataset train;
    private readonly Dataset? validation;
    private readonly Batcher batcher;
    private readonly int batchSize;
    private readonly (string Model, AttentionKind Kind) attention;

    private ImageTrainingData(Dataset train, Dataset? validation, BatchOptions options, (string, AttentionKind) attention)
    {
        this.attention = attention;
        this.train = train;
        this.validation = validation;
        batcher = new Batcher(train, options);
        batchSize = options.BatchSize;
    }

    public static ImageTrainingData Open(TrainingConfig config, DataSpec spec)
    {
        var train = spec.Open();
        if (!train.HasLabels) throw new LowBitException(ErrorKind.InvalidInput, $"--dataset {config.Dataset}: {train.Name} has no labels; training needs them");
        if (train.Count == 0) throw new LowBitException(ErrorKind.InvalidInput, $"--dataset {config.Dataset}: {train.Name} holds no samples");
        Dataset? validation = ValidationSpec(config, spec)?.Open(train.SampleShape);
        // Zero padding of the random crop: 2 px on 28×28 (the usual Fashion-MNIST setting), side/8 on larger images
        // (4 on 32×32, as the CIFAR recipe).
        int side = train.SampleShape.Length == 3 ? Math.Min(train.SampleShape[1], train.SampleShape[2]) : 0;
        var augmentation = config.Augment && side > 0
            ? new Augmentation(side <= 28 ? Math.Min(2, side / 4) : Math.Max(2, side / 8), horizontalFlip: true)
            : null;
        var options = new BatchOptions(config.BatchSize, shuffle: true, seed: (ulong)config.Seed,
            dropLast: train.Count >= config.BatchSize, prefetch: PrefetchDepth, augmentation: augmentation);
        return new ImageTrainingData(train, validation, options, (config.Model, config.Attention));
    }

    /// <summary>Validation spec: given, "none", or derived (Fashion-MNIST train → test from the same folder).</summary>
    internal static DataSpec? ValidationSpec(TrainingConfig config, DataSpec train)
    {
        if (config.ValidationDataset is "none") return null;
        if (config.ValidationDataset is string s) return DataSpec.Parse(s);
        return train is FashionMnistSpec { Split: FashionMnistSplit.Train } f ? f with { Split = FashionMnistSplit.Test } : null;
    }

    public override string TrainName => train.Name;
    public override string? ValidationName => validation?.Name;
    public override bool IsLanguageModel => false;
    public override int BatchesPerEpoch => batcher.BatchCount;
    public override IReadOnlyList<string>? ClassNames => train.ClassNames;

    public override ModelOptions ModelOptions(int seed) => AttentionKinds.Apply(attention.Model,
        new ImageModelOptions(train.SampleShape, Math.Max(2, train.ClassNames!.Count), seed: seed), attention.Kind);

    public override void CheckModel(Graph.Graph graph)
    {
        DataValidation.CheckMatches(train, graph.Inputs[0], batchSize);
        CheckLabels(train, graph);
        if (validation is null) return;
        DataValidation.CheckMatches(validation, graph.Inputs[0], batchSize);
        CheckLabels(validation, graph);
    }

    public override IEnumerable<TrainBatch> Epoch(int epoch, int startBatch, int count)
    {
        var order = batcher.Options.Order(train.Count, epoch);
        foreach (var b in Prefetch.Run(count, i => batcher.Build(order, epoch, startBatch + i), PrefetchDepth))
        {
            DataValidation.ThrowIfNonFinite(b, train.Name);
            yield return new TrainBatch(b.Index, b.Inputs, b.Labels!, b.Size, b.Size);
        }
    }

    public override EvaluationResult? Validate(Func<Tensor, Tensor> run, int? maxSamples, CancellationToken cancellation, Action<int, int>? progress) =>
        validation is null ? null
            : new EvaluationResult(Evaluate(validation, run, batchSize, maxSamples, cancellation, progress), null);

    /// <summary>Runs <paramref name="run"/> (input → logits) over the first <paramref name="maxSamples"/> samples of
    /// <paramref name="data"/> in order and accumulates classification metrics.</summary>
    public static ClassificationMetrics Evaluate(Dataset data, Func<Tensor, Tensor> run, int batchSize, int? maxSamples,
        CancellationToken cancellation, Action<int, int>? progress = null)
    {
        int n = Math.Min(data.Count, maxSamples ?? int.MaxValue);
        var b = new Batcher(new LimitedDataset(data, n), new BatchOptions(batchSize, prefetch: PrefetchDepth));
        ClassificationAccumulator? acc = null;
        foreach (var batch in b.Epoch())
        {
            cancellation.ThrowIfCancellationRequested();
            DataValidation.ThrowIfNonFinite(batch, data.Name);
            var logits = run(batch.Inputs);
            acc ??= new ClassificationAccumulator(logits.Shape[^1]);
            acc.Add(logits, batch.Labels ?? throw new LowBitException(ErrorKind.InvalidInput, $"{data.Name} has no labels"));
            progress?.Invoke(acc.Samples, n);
        }
        return (acc ?? new ClassificationAccumulator(Math.Max(1, data.ClassNames?.Count ?? 1))).Result(data.ClassNames);
    }

    /// <summary>The first <c>count</c> samples of a dataset.</summary>
    private sealed class LimitedDataset(Dataset inner, int count) : Dataset
    {
        public override string Name => inner.Name;
        public override int Count => count;
        public override int[] SampleShape => inner.SampleShape;
        public override IReadOnlyList<string>? ClassNames => inner.ClassNames;
        public override void ReadSample(int index, Span<float> destination) => inner.ReadSample(index, destination);
        public override int GetLabel(int index) => inner.GetLabel(index);
    }
}
