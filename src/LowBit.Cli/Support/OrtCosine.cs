using LowBit.Data;
using LowBit.OnnxRuntime;
using LowBit.Reports;
using LowBit.Reports.Metrics;
using LowBit.Tensors;

namespace LowBit.Cli.Support;

/// <summary>Fidelity of a graph's first output to the float model's, both run in ONNX Runtime (the judge), on the first
/// <see cref="Samples"/> samples of a dataset: the mean over samples of each sample's cosine similarity (for models without
/// a class head, e.g. feature extractors). The float outputs are computed once and kept.</summary>
internal sealed class OrtCosine(CliContext ctx, Graph.Graph floatModel, Graph.ValueInfo input, Dataset data, int? samples, int batch, int threads, IPhaseProgress progress)
{
    private List<(IReadOnlyDictionary<string, Tensor> Inputs, Tensor Output)>? reference;

    public int Samples => Math.Min(data.Count, samples ?? int.MaxValue);

    public double Cosine(Graph.Graph g, string name)
    {
        reference ??= Reference();
        ctx.ThrowIfCancelled();
        using var ort = OrtRunner.FromGraph(g, threads);
        var acc = new OutputFidelityAccumulator(g.Outputs[0].Name, classifier: false);
        long done = 0;
        foreach (var (inputs, expected) in reference)
        {
            ctx.ThrowIfCancelled();
            acc.Add(expected, ort.Run(inputs, [g.Outputs[0].Name]).Values.Single());
            progress.Report($"evaluate {name}", done += expected.Shape[0], Samples);
        }
        return acc.Result().CosineMean;
    }

    private List<(IReadOnlyDictionary<string, Tensor>, Tensor)> Reference()
    {
        using var ort = OrtRunner.FromGraph(floatModel, threads);
        string output = floatModel.Outputs[0].Name;
        var list = new List<(IReadOnlyDictionary<string, Tensor>, Tensor)>();
        foreach (var b in EvalData.Batches(data, input.Name, batch, Samples))
        {
            ctx.ThrowIfCancelled();
            list.Add((b.Inputs, ort.Run(b.Inputs, [output])[output]));
            progress.Report("evaluate float", list.Sum(x => x.Item2.Shape[0]), Samples);
        }
        return list;
    }
}
