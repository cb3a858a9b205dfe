using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Graph;
using LowBit.Nn.Training;
using LowBit.Onnx;
using LowBit.Quantization;

namespace LowBit.Cli.Demo;

/// <summary>The demo's model, loaded and checked against the Fashion-MNIST subset before anything is printed or written.</summary>
internal sealed record DemoModel(Graph.Graph Graph, ValueInfo Input, Dataset Data)
{
    /// <summary>
    /// Loads <paramref name="path"/> and checks everything the demo needs: LowBit runs it (calibration), it is a float
    /// model, its single input takes the subset's float32 [1,28,28] samples and its classes cover the labels. Errors are
    /// one line prefixed with <paramref name="label"/> (<c>--model FILE</c>, or the shipped file's path).
    /// </summary>
    public static DemoModel Load(string path, string label)
    {
        try
        {
            var graph = OnnxImporter.Load(path);
            QuantizePipeline.ThrowIfQuantized(graph, null);
            UnsupportedOps.ThrowIfAny(graph, path);
            var input = ModelData.SingleInput(graph, path);
            var data = FashionMnist.OpenSubset();
            DataValidation.CheckMatches(data, input, 1);
            if (graph.Outputs.FirstOrDefault()?.Shape is { Length: 2 } s && s[1].Value is not null) TrainingData.CheckLabels(data, graph);
            return new DemoModel(graph, input, data);
        }
        catch (LowBitException e) when (!e.Message.StartsWith(label, StringComparison.Ordinal))
        {
            string message = e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;
            throw new LowBitException(e.Kind, $"{label}: {message}", e);
        }
    }
}
