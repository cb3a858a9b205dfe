using LowBit.Cli.Commands;
using LowBit.Data;
using LowBit.Nn.Training;
using LowBit.OnnxRuntime;
using LowBit.Tensors;

namespace LowBit.Cli.Support;

/// <summary>Top-1 accuracy of a graph in ONNX Runtime (the judge) on the first <see cref="Samples"/> samples of a labelled
/// dataset fed to <paramref name="input"/>; the float model's is measured once, for drops in points.</summary>
internal sealed class OrtAccuracy(CliContext ctx, Graph.Graph floatModel, Graph.ValueInfo input, Dataset data, int? samples, int threads, IPhaseProgress progress)
{
    private double? floatTop1;

    public int Samples => Math.Min(data.Count, samples ?? int.MaxValue);
    public string DataName => data.Name;

    public double FloatTop1 => floatTop1 ??= Top1(floatModel, "float");

    /// <summary>Float top-1 minus this model's, in points.</summary>
    public double Drop(Graph.Graph g, string name) => (FloatTop1 - Top1(g, name)) * 100;

    public double Top1(Graph.Graph g, string name)
    {
        ctx.ThrowIfCancelled();
        using var ort = OrtRunner.FromGraph(g, threads);
        string output = g.Outputs[0].Name;
        var m = ImageTrainingData.Evaluate(data, x => ort.Run(new Dictionary<string, Tensor> { [input.Name] = x })[output],
            ModelData.BatchFor(input, EvalCommand.DefaultBatch), Samples, ctx.Cancellation, (done, total) => progress.Report($"evaluate {name}", done, total));
        return m.Top1;
    }
}
