using System.Text.Json;
using LowBit.Data.Text;

namespace LowBit.Nn.Training;

/// <summary>
/// Model metadata properties a trained model carries (ONNX <c>metadata_props</c>, kept by every exporter and ignored by
/// runtimes): <see cref="ClassNamesKey"/> (JSON array), <see cref="VocabularyKey"/> (the <see cref="CharVocabulary"/>
/// JSON) and <see cref="TrainingKey"/> (model, config hash, epochs, final validation figures).
/// </summary>
public static class TrainedModel
{
    public const string ClassNamesKey = "lowbit.class_names";
    public const string VocabularyKey = "lowbit.vocab";
    public const string TrainingKey = "lowbit.training";

    /// <summary>Sidecar vocabulary file of a model: <c>gpt.onnx</c> → <c>gpt.vocab.json</c>.</summary>
    public static string VocabularyPathFor(string modelPath) => Path.ChangeExtension(modelPath, null) + ".vocab.json";

    /// <summary>The class names stored in the model, or null.</summary>
    public static IReadOnlyList<string>? ClassNames(Graph.Graph g)
    {
        if (!g.Metadata.Properties.TryGetValue(ClassNamesKey, out var json)) return null;
        try { return JsonSerializer.Deserialize<string[]>(json); }
        catch (JsonException) { return null; }
    }

    /// <summary>The model's character vocabulary: from its metadata, else from the sidecar file; null when neither exists.</summary>
    public static CharVocabulary? Vocabulary(Graph.Graph g, string? modelPath)
    {
        if (g.Metadata.Properties.TryGetValue(VocabularyKey, out var json))
        {
            try { return CharVocabulary.FromJson(json); }
            catch (LowBitException e) { throw new LowBitException(ErrorKind.InvalidModel, $"{modelPath ?? g.Name}: metadata '{VocabularyKey}': {e.Message}"); }
        }
        if (modelPath is not null && File.Exists(VocabularyPathFor(modelPath))) return CharVocabulary.Load(VocabularyPathFor(modelPath));
        return null;
    }

    /// <summary>Whether the model is a language model: int64 token input [N, T], logits [N, T, V].</summary>
    public static bool IsLanguageModel(Graph.Graph g) =>
        g.Inputs.FirstOrDefault()?.DType == Tensors.DType.Int64 && g.Outputs.FirstOrDefault()?.Shape is { Length: 3 };
}
