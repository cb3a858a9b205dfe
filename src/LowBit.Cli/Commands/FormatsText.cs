using LowBit.Data;
using LowBit.Data.Text;
using LowBit.Graph;
using LowBit.Nn.Training;
using LowBit.OnnxRuntime;
using LowBit.Tensors;

namespace LowBit.Cli.Commands;

/// <summary>
/// The task metric of a character language model in <c>lowbit formats</c>: perplexity on <c>--data text=FILE</c> (its
/// validation part, else all of it), checked and computed as <c>lowbit eval</c> does (<see cref="TextTrainingData"/>),
/// with each file run in ONNX Runtime. Sequences: the first <c>--eval-samples</c>.
/// </summary>
internal sealed record FormatsText(TokenDataset Data, string Input, string Output, int Batch, int Sequences)
{
    public const int DefaultBatch = 16;

    /// <summary>Null for a model that is not a language model; errors name <c>--data</c> and what the model needs.</summary>
    public static FormatsText? TryOpen(Graph.Graph graph, string model, string spec, ValueInfo input, int maxSequences)
    {
        if (!TrainedModel.IsLanguageModel(graph)) return null;
        if (DataSpec.Parse(spec) is not TextSpec text)
            throw new LowBitException(ErrorKind.InvalidInput, $"--data {spec}: {model} is a language model (input '{input.Name}' {input.DType.Name()} {input.ShapeString}); give text=FILE");
        var vocabulary = TrainedModel.Vocabulary(graph, model)
            ?? throw new LowBitException(ErrorKind.InvalidInput, $"{model}: no character vocabulary (metadata '{TrainedModel.VocabularyKey}' or {TrainedModel.VocabularyPathFor(model)})");
        if (input.Shape is not { Length: 2 } s || s[1].Value is not long context)
            throw new LowBitException(ErrorKind.InvalidInput, $"{model}: input '{input.Name}' {input.ShapeString} needs a fixed context length [N,T]");
        if (TextTrainingData.HasExplicitSeq(spec) && text.Options.SequenceLength != context)
            throw new LowBitException(ErrorKind.InvalidInput, $"--data {spec}: seq={text.Options.SequenceLength}, but model input '{input.Name}' {input.ShapeString} takes {context} tokens");
        var corpus = TextTrainingData.WithContext(spec, text, (int)context).OpenText(vocabulary);
        var data = corpus.Validation ?? corpus.Train;
        int batch = s[0].Value is long b ? (int)b : DefaultBatch;
        DataValidation.CheckMatches(data, input, batch);
        TextTrainingData.CheckVocabulary(graph, vocabulary.Size, model);
        return new FormatsText(data, input.Name, graph.Outputs[0].Name, batch, Math.Min(maxSequences, data.Count));
    }

    /// <summary>Perplexity of the file <paramref name="path"/> in ONNX Runtime over the first <see cref="Sequences"/>.</summary>
    public double Perplexity(string path, int threads, CancellationToken cancellation)
    {
        using var ort = OrtRunner.FromFile(path, threads);
        return TextTrainingData.Evaluate(Data, x => ort.Run(new Dictionary<string, Tensor> { [Input] = x })[Output], Batch, Sequences, cancellation).Perplexity;
    }
}
