using LowBit.Cli.Support;
using LowBit.Data.Inputs;
using LowBit.Reports;

namespace LowBit.Cli.Commands;

/// <summary>
/// <c>lowbit eval MODEL --reference REF</c> when REF has several inputs: the spec is opened as model calls
/// (<see cref="ModelData.OpenSamples"/>: npz=, npy=NAME:DIR, NAME=const:V, random:N; docs/calibration-data.md), one call
/// per sample with batch 1 and no fed-back state, and both models' outputs are compared by
/// <see cref="Fidelity.Evaluate(IModelRunner, IModelRunner, IEnumerable{EvalBatch}, string, IReadOnlyList{string}?, FidelityOptions?, IProgress{EvalProgress}?, long?)"/>.
/// Such data carries no labels, so the report has no accuracy.
/// </summary>
internal static class EvalFidelityMulti
{
    /// <summary>Checks both models read the same inputs and opens the data now, so a bad spec fails before any model loads
    /// into an engine; returns the evaluation to run on the two runners.</summary>
    public static Func<IModelRunner, IModelRunner, IProgress<EvalProgress>, FidelityReport> Prepare(CliContext ctx, EvalRequest req,
        Graph.Graph graph, string reference, Graph.Graph refGraph)
    {
        var refInputs = refGraph.RealInputs.ToList();
        foreach (var input in refInputs) ModelData.CheckSameInput(input, reference, graph, req.Model);
        var extra = graph.RealInputs.Where(v => refInputs.All(r => r.Name != v.Name)).Select(v => v.Name).ToList();
        if (extra.Count > 0)
            throw new LowBitException(ErrorKind.InvalidInput,
                $"{req.Model}: reads {string.Join(", ", extra)}, which {reference} does not; the two models' inputs differ");
        if (req.Batch is int wanted && wanted != 1)
            throw new LowBitException(ErrorKind.Usage,
                $"--batch {wanted}: {reference} has {refInputs.Count} inputs; multi-input data runs one sample per call");
        var source = ModelData.OpenSamples(req.Dataset, refGraph, [], "--data");
        if (req.Limit is int limit) source = source.Take(limit);
        return (test, refRunner, progress) =>
        {
            var calls = new CallCount();
            var report = Fidelity.Evaluate(test, refRunner, Calls(ctx, source, progress, calls), source.Name, null, new FidelityOptions(), null, source.Count);
            return report with { Samples = calls.Done, Warnings = [.. source.Warnings, .. report.Warnings] };
        };
    }

    private sealed class CallCount
    {
        public long Done;
    }

    /// <summary>One batch per sample. Samples and progress count model calls here rather than by <see cref="EvalBatch.Size"/>,
    /// which reads the first dim of the first input, and a sample's first input need not have a batch dim (e.g. a state
    /// [2,1,128] or an audio chunk [T]).</summary>
    private static IEnumerable<EvalBatch> Calls(CliContext ctx, SampleSource source, IProgress<EvalProgress> progress, CallCount count)
    {
        progress.Report(new EvalProgress("evaluate", 0, source.Count));
        foreach (var sample in source)
        {
            ctx.ThrowIfCancelled();
            yield return new EvalBatch(sample, null);
            // Resumed only after Fidelity has run both models on the sample and added their outputs.
            count.Done++;
            progress.Report(new EvalProgress("evaluate", count.Done, source.Count));
        }
    }
}
