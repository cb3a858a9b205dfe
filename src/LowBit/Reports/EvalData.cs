using LowBit.Data;
using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Reports;

/// <summary>One evaluation batch: the model inputs and, for labelled data, int64 labels [B].</summary>
public sealed record EvalBatch(IReadOnlyDictionary<string, Tensor> Inputs, Tensor? Labels)
{
    public int Size => Labels?.Length ?? (Inputs.Count == 0 ? 0 : Inputs.Values.First() is { Rank: > 0 } t ? t.Shape[0] : 1);
}

/// <summary>Progress of a long evaluation: <paramref name="Phase"/> ("evaluate", "compare", "attribution"), units
/// done and the total when known.</summary>
public sealed record EvalProgress(string Phase, long Done, long? Total);

/// <summary>Cuts a dataset into evaluation batches for a single-input model.</summary>
public static class EvalData
{
    /// <summary>The first <paramref name="maxSamples"/> samples (all when null) in order, <paramref name="batchSize"/> at
    /// a time (the last batch may be smaller), fed as input <paramref name="inputName"/>; built ahead on a background
    /// task (<paramref name="prefetch"/> batches).</summary>
    public static IEnumerable<EvalBatch> Batches(Dataset data, string inputName, int batchSize, int? maxSamples = null, int prefetch = 2)
    {
        var batcher = new Batcher(data, new BatchOptions(batchSize, prefetch: prefetch));
        int n = Math.Min(data.Count, maxSamples ?? int.MaxValue);
        if (n < 0) throw new LowBitException(ErrorKind.Usage, $"sample limit {maxSamples} must be ≥ 0");
        var order = Enumerable.Range(0, n).ToArray();
        int count = (n + batchSize - 1) / batchSize;
        return Prefetch.Run(count, i =>
        {
            var b = batcher.Build(order, 0, i);
            return new EvalBatch(new Dictionary<string, Tensor> { [inputName] = b.Inputs }, b.Labels);
        }, prefetch);
    }

    /// <summary>The batch size to use for <paramref name="input"/>: its fixed first dim when it has one (models exported
    /// with batch 1 take one sample at a time), else <paramref name="wanted"/>.</summary>
    public static int BatchSizeFor(ValueInfo input, int wanted) =>
        input.Shape is { Length: > 0 } s && s[0].Value is long fixedDim && fixedDim > 0 ? (int)fixedDim : wanted;

    /// <summary>The single input a dataset feeds; a usage error naming the inputs when the model has several.</summary>
    public static string SingleInput(IModelRunner runner) => runner.InputNames.Count == 1 ? runner.InputNames[0]
        : throw new LowBitException(ErrorKind.Usage,
            $"a dataset feeds one input, the model has {runner.InputNames.Count}: {string.Join(", ", runner.InputNames)}");
}
