using System.Text.Json;
using System.Text.Json.Nodes;
using LowBit.Data;
using LowBit.Nn.Zoo;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Nn.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Continues the run saved in <paramref name="checkpoint"/>. <paramref name="requested"/> (null: the checkpoint's own
    /// config) may change run control — data location, epochs, threads, checkpointing, smoke-run limits — but every
    /// identity field (<see cref="TrainingConfig.IdentityFields"/>) must match, and the model built for the data must
    /// have the checkpoint's inputs, outputs and parameter shapes; otherwise a one-line error says what differs.
    /// </summary>
    public static Trainer Resume(LoadedCheckpoint checkpoint, TrainingConfig? requested = null, TrainerSetup? setup = null)
    {
        var config = requested ?? checkpoint.Config;
        config.Validate();
        var diffs = checkpoint.Config.IdentityDifferences(config);
        if (diffs.Count > 0)
            throw Incompatible(checkpoint, string.Join("; ", diffs));
        var data = TrainingData.Open(config, checkpoint.Vocabulary);
        var graph = ModelZoo.Build(config.Model, data.ModelOptions(config.Seed));
        CheckSameModel(checkpoint, graph);
        data.CheckModel(graph);
        return new Trainer(config, data, graph, checkpoint, setup);
    }

    /// <summary>As <see cref="Resume(LoadedCheckpoint, TrainingConfig?, TrainerSetup?)"/> from a checkpoint folder or directory.</summary>
    public static Trainer Resume(string dir, TrainingConfig? requested = null) => Resume(Checkpoint.Load(dir), requested);

    private static LowBitException Incompatible(LoadedCheckpoint c, string what) =>
        new(ErrorKind.InvalidInput, $"--resume {c.Path}: incompatible checkpoint: {what}");

    private static void CheckSameModel(LoadedCheckpoint c, Graph.Graph graph)
    {
        foreach (var (name, t) in graph.Initializers)
        {
            if (!c.Weights.TryGetValue(name, out var saved))
                throw Incompatible(c, $"it has no parameter '{name}' (a different model?)");
            if (saved.DType != t.DType || !saved.Shape.SequenceEqual(t.Shape))
                throw Incompatible(c, $"parameter '{name}' is {saved.DType.Name()} {saved.ShapeString} there, " +
                    $"{t.DType.Name()} {t.ShapeString} in this model (the data's sample shape, classes or vocabulary differ)");
        }
    }

    /// <summary>Where <see cref="Export"/> will write the model when the run ends; stored in checkpoints (with
    /// <see cref="LogPath"/>) so that a resumed run writes the same files.</summary>
    public string? OutPath { get; set; }

    private void Restore(LoadedCheckpoint c)
    {
        foreach (var (name, t) in Graph.Initializers) Array.Copy(c.Weights[name].Data, t.Data, t.DType.StorageLength(t.Length));
        optimizer.SetState(c.OptimizerState);
        var p = c.Position;
        if (p.Step != optimizer.Steps)
            throw Incompatible(c, $"checkpoint.json says step {p.Step}, the optimizer state says {optimizer.Steps}");
        if (p.NextBatch > StepsPerEpoch)
            throw Incompatible(c, $"it stopped at batch {p.NextBatch} of an epoch that now has {StepsPerEpoch} steps (different data or --max-steps)");
        position = p;
        Log.Epochs.AddRange(c.Epochs);
        Log.ResumedFrom.AddRange(c.ResumedFrom);
        Log.ResumedFrom.Add(c.Path);
        lastCheckpoint = c.Path;
    }

    /// <summary>Writes a checkpoint of the current position when <see cref="TrainingConfig.CheckpointDir"/> is set. A
    /// parameter or running statistic that is no longer finite fails the run instead (the previous checkpoint stays the
    /// last good one).</summary>
    private void SaveCheckpoint()
    {
        if (Config.CheckpointDir is null) return;
        foreach (var (name, t) in Graph.Initializers)
            if (t.DType == DType.Float32 && DataValidation.IndexOfNonFinite(t.AsReadOnlySpan<float>()) is int at and >= 0)
                throw new LowBitException(ErrorKind.Numerical,
                    $"'{name}' became {t.AsReadOnlySpan<float>()[at]} by step {position.Step}; training stopped, " +
                    (lastCheckpoint is null ? "no checkpoint was written" : $"the last good checkpoint is {lastCheckpoint}") + "; try a lower --lr");
        lastCheckpoint = Checkpoint.Save(Config.CheckpointDir, Config, Graph, optimizer.GetState(), position, data.Vocabulary,
            Log.Epochs, Log.ResumedFrom, OutPath is null && LogPath is null ? null : new CheckpointOutputs(OutPath, LogPath));
        CheckpointSaved?.Invoke(lastCheckpoint);
    }

    /// <summary>
    /// Writes the trained model as an ordinary ONNX file (atomically): the same graph, so BatchNormalization runs in
    /// inference mode and the frozen-constant property stays. Adds metadata: class names, or for language models the
    /// vocabulary (also written beside the model as <see cref="TrainedModel.VocabularyPathFor"/>), and a training summary.
    /// </summary>
    public void Export(string path)
    {
        var props = Graph.Metadata.Properties;
        if (data.ClassNames is { } names) props[TrainedModel.ClassNamesKey] = JsonSerializer.Serialize(names);
        if (data.Vocabulary is { } vocab) props[TrainedModel.VocabularyKey] = vocab.ToJson();
        var summary = new JsonObject
        {
            ["model"] = Config.Model,
            ["config_hash"] = Config.Hash(),
            ["epochs"] = Log.Epochs.Count,
            ["train_data"] = data.TrainName,
            ["validation_data"] = data.ValidationName,
        };
        if (Log.Epochs.LastOrDefault()?.Validation is { } v)
        {
            summary["validation_loss"] = v.Loss;
            summary["validation_accuracy"] = v.Accuracy;
            if (v.Perplexity is double ppl) summary["validation_perplexity"] = ppl;
        }
        props[TrainedModel.TrainingKey] = summary.ToJsonString();
        if (data.Vocabulary is { } vv) vv.Save(TrainedModel.VocabularyPathFor(path));
        OnnxExporter.Save(Graph, path);
    }
}
