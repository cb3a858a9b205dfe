using LowBit.Data;
using LowBit.Reports.Metrics;
using LowBit.Tensors;

namespace LowBit.Reports;

/// <summary>How <see cref="Fidelity.Evaluate(IModelRunner, IModelRunner, Dataset, FidelityOptions?, IProgress{EvalProgress}?)"/> runs.</summary>
public sealed record FidelityOptions
{
    /// <summary>Samples per run (the dataset overload; a model whose inputs fix the batch size gets that size).</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Evaluate only the first N samples (null: all).</summary>
    public int? MaxSamples { get; init; }
    /// <summary>Outputs to compare (null: every output both models have, in the reference's order; when they share no
    /// name but each has exactly one output, those two).</summary>
    public IReadOnlyList<string>? Outputs { get; init; }
    /// <summary>Whether outputs are class scores (agreement, KL). Null: outputs of rank 2 ([N, C], C ≥ 2) are, and with
    /// labels the first compared output is.</summary>
    public bool? Classifier { get; init; }
    /// <summary>k of the top-k agreement and accuracy.</summary>
    public int TopK { get; init; } = 5;
    /// <summary>Keep a confusion matrix up to this many classes.</summary>
    public int MaxConfusionClasses { get; init; } = 100;
}

/// <summary>Both models' accuracy against the labels (first compared output) and the change.</summary>
public sealed record AccuracyComparison(AccuracyResult Reference, AccuracyResult Test)
{
    /// <summary>Test − reference top-1 accuracy (negative: the test model lost accuracy).</summary>
    public double Top1Delta => Test.Top1 - Reference.Top1;
    public double? Top5Delta => Test.Top5 - Reference.Top5;
}

/// <summary>The result of one fidelity evaluation.</summary>
public sealed record FidelityReport(string ReferenceEngine, string TestEngine, string Data, long Samples,
    IReadOnlyList<OutputFidelity> Outputs, AccuracyComparison? Accuracy, IReadOnlyList<string> Warnings);

/// <summary>
/// Evaluates a test model (typically the quantized one) against a reference model (the float one) on the same inputs,
/// each run by its own engine (<see cref="IModelRunner"/>): per output SQNR, cosine, max error and, for classifiers,
/// top-1/top-5 agreement and KL divergence (<see cref="OutputFidelity"/>); with labels also both accuracies. Streams:
/// only one batch of outputs is held at a time.
/// </summary>
public static class Fidelity
{
    /// <summary>Evaluates on <paramref name="data"/> (single-input models; labels used when the dataset has them).</summary>
    public static FidelityReport Evaluate(IModelRunner test, IModelRunner reference, Dataset data, FidelityOptions? options = null,
        IProgress<EvalProgress>? progress = null)
    {
        options ??= new FidelityOptions();
        string input = EvalData.SingleInput(reference);
        if (!test.InputNames.Contains(input))
            throw new LowBitException(ErrorKind.InvalidInput, $"the reference model reads '{input}', the test model does not (its inputs: {string.Join(", ", test.InputNames)})");
        if (reference.FixedBatch is int rb && test.FixedBatch is int tb && rb != tb)
            throw new LowBitException(ErrorKind.InvalidInput, $"the reference model takes batches of {rb}, the test model batches of {tb}");
        int batch = reference.FixedBatch ?? test.FixedBatch ?? options.BatchSize;
        long total = Math.Min(data.Count, options.MaxSamples ?? int.MaxValue);
        var result = Evaluate(test, reference, EvalData.Batches(data, input, batch, options.MaxSamples), data.Name,
            data.ClassNames, options, progress, total);
        return data.Warnings.Count == 0 ? result : result with { Warnings = [.. data.Warnings, .. result.Warnings] };
    }

    /// <summary>Evaluates on any batches; <paramref name="classNames"/> (null: unlabelled) sizes the accuracy tables.</summary>
    public static FidelityReport Evaluate(IModelRunner test, IModelRunner reference, IEnumerable<EvalBatch> batches, string dataName,
        IReadOnlyList<string>? classNames = null, FidelityOptions? options = null, IProgress<EvalProgress>? progress = null, long? total = null)
    {
        options ??= new FidelityOptions();
        var warnings = new List<string>();
        var pairs = OutputPairs(reference, test, options.Outputs);
        OutputFidelityAccumulator[]? outputs = null;
        AccuracyAccumulator? accRef = null, accTest = null;
        long samples = 0;
        progress?.Report(new EvalProgress("evaluate", 0, total));
        foreach (var batch in batches)
        {
            DataValidation.ThrowIfNonFinite(batch.Inputs, samples);
            var r = reference.Run(batch.Inputs);
            var t = test.Run(batch.Inputs);
            outputs ??= pairs.Select((p, i) => new OutputFidelityAccumulator(p.Reference,
                options.Classifier ?? ((r[p.Reference].Rank == 2 && r[p.Reference].Shape[1] >= 2) || (i == 0 && classNames is not null)), options.TopK)).ToArray();
            for (int i = 0; i < pairs.Count; i++)
                outputs[i].Add(Get(r, pairs[i].Reference, reference), Get(t, pairs[i].Test, test));
            if (batch.Labels is Tensor labels && classNames is not null && pairs.Count > 0)
            {
                var first = Get(r, pairs[0].Reference, reference);
                int classes = first.Rank == 0 || first.Shape[0] == 0 ? 0 : first.Length / first.Shape[0];
                if (accRef is null && classes < classNames.Count)
                    throw new LowBitException(ErrorKind.InvalidInput,
                        $"output '{pairs[0].Reference}' scores {classes} classes per sample, the data has {classNames.Count} classes");
                accRef ??= new AccuracyAccumulator(classes, classNames, options.MaxConfusionClasses);
                accTest ??= new AccuracyAccumulator(classes, classNames, options.MaxConfusionClasses);
                accRef.Add(first, labels);
                accTest.Add(Get(t, pairs[0].Test, test), labels);
            }
            samples += batch.Size;
            progress?.Report(new EvalProgress("evaluate", samples, total));
        }
        if (samples == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{dataName}: no samples to evaluate");
        var results = (outputs ?? []).Select(o => o.Result()).ToList();
        foreach (var o in results.Where(o => o.NonFinite > 0))
            warnings.Add($"output '{o.Name}': {o.NonFinite} values were NaN or Inf in one of the models and were left out");
        return new FidelityReport(reference.Engine, test.Engine, dataName, samples, results,
            accRef is null ? null : new AccuracyComparison(accRef.Result(), accTest!.Result()), warnings);
    }

    /// <summary>(reference name, test name) of each compared output.</summary>
    internal static List<(string Reference, string Test)> OutputPairs(IModelRunner reference, IModelRunner test, IReadOnlyList<string>? wanted)
    {
        if (wanted is not null)
        {
            foreach (var w in wanted)
                foreach (var (m, role) in new[] { (reference, "reference"), (test, "test") })
                    if (!m.OutputNames.Contains(w))
                        throw new LowBitException(ErrorKind.Usage, $"the {role} model has no output '{w}'; its outputs: {string.Join(", ", m.OutputNames)}");
            return wanted.Select(w => (w, w)).ToList();
        }
        var common = reference.OutputNames.Where(test.OutputNames.Contains).Select(n => (n, n)).ToList();
        if (common.Count > 0) return common;
        if (reference.OutputNames.Count == 1 && test.OutputNames.Count == 1) return [(reference.OutputNames[0], test.OutputNames[0])];
        throw new LowBitException(ErrorKind.InvalidInput,
            $"the models share no output name (reference: {string.Join(", ", reference.OutputNames)}; test: {string.Join(", ", test.OutputNames)}); name the outputs to compare");
    }

    private static Tensor Get(Dictionary<string, Tensor> outputs, string name, IModelRunner m) =>
        outputs.TryGetValue(name, out var t) ? t
            : throw new LowBitException(ErrorKind.InvalidModel, $"the {m.Engine} run did not return output '{name}'");
}
