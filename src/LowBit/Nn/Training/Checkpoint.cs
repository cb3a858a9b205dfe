using System.Text.Json;
using System.Text.Json.Nodes;
using LowBit.Data.Text;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Nn.Training;

/// <summary>Sums over the steps of the epoch in progress (so a resumed epoch reports what an uninterrupted one would).</summary>
public sealed record EpochProgress(int Steps, long Samples, long Items, double LossSum, long Correct, double Seconds, double LastLearningRate)
{
    public static EpochProgress Empty { get; } = new(0, 0, 0, 0, 0, 0, 0);
}

/// <summary>Where a run stands: the next step is batch <see cref="NextBatch"/> of 0-based epoch <see cref="Epoch"/>;
/// <see cref="Step"/> optimizer steps have been taken. With NextBatch = steps per epoch, the epoch's training is done
/// and its validation is still due.</summary>
public sealed record TrainingPosition(int Epoch, int NextBatch, long Step, EpochProgress Progress);

/// <summary>A checkpoint read back from disk.</summary>
public sealed record LoadedCheckpoint(
    string Path, TrainingConfig Config, TrainingPosition Position, Dictionary<string, Tensor> Weights,
    Dictionary<string, Tensor> OptimizerState, CharVocabulary? Vocabulary, List<EpochRecord> Epochs, List<string> ResumedFrom)
{
    /// <summary>Where the interrupted run was to write its model and log (absolute paths); null in checkpoints that
    /// predate them or when the trainer was not told.</summary>
    public CheckpointOutputs? Outputs { get; init; }
}

/// <summary>The files a training run writes at its end, kept in each checkpoint so that a resumed run writes the same
/// ones (not the defaults).</summary>
public sealed record CheckpointOutputs(string? Model, string? Log);

/// <summary>
/// Training checkpoints. A checkpoint is a folder <c>e{epoch:000}-b{batch:000000}</c> inside the checkpoint directory:
/// <code>
/// checkpoint.json   position (epoch, batch, step), epoch sums, config + hash, epochs logged so far, RNG description
/// model.onnx        the graph with every initializer: weights and BatchNormalization running statistics
/// optimizer.onnx    optimizer state (step, momentum/Adam buffers) as initializers of an empty graph
/// vocab.json        language models: the character vocabulary
/// </code>
/// The folder is written under a temporary name and renamed when complete; then <c>latest.json</c> (written atomically)
/// points at it, and older checkpoint folders but the previous one are deleted. A crash at any moment leaves latest.json
/// naming a complete checkpoint. Randomness needs no saved generator state: the shuffle of epoch e is SplitMix64 seeded
/// by (seed, e), augmentation by (seed, e, sample), Dropout masks by (seed, step) — all functions of the position.
/// </summary>
public static class Checkpoint
{
    public const string PointerFile = "latest.json";
    public const string MetaFile = "checkpoint.json";
    public const string ModelFile = "model.onnx";
    public const string OptimizerFile = "optimizer.onnx";
    public const string VocabularyFile = "vocab.json";
    public const string Format = "lowbit-checkpoint";

    public static string FolderName(TrainingPosition p) => $"e{p.Epoch:D3}-b{p.NextBatch:D6}";

    /// <summary>Writes a checkpoint and points latest.json at it; returns its folder.</summary>
    public static string Save(string dir, TrainingConfig config, Graph.Graph graph, IReadOnlyDictionary<string, Tensor> optimizerState,
        TrainingPosition position, CharVocabulary? vocabulary, IReadOnlyList<EpochRecord> epochs, IReadOnlyList<string> resumedFrom,
        CheckpointOutputs? outputs = null)
    {
        Directory.CreateDirectory(dir);
        string name = FolderName(position);
        string final = System.IO.Path.Combine(dir, name);
        string tmp = System.IO.Path.Combine(dir, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(tmp);
        try
        {
            OnnxExporter.Save(graph, System.IO.Path.Combine(tmp, ModelFile));
            var state = new Graph.Graph { Name = "optimizer-state" };
            foreach (var (k, v) in optimizerState) state.Initializers[k] = v;
            OnnxExporter.Save(state, System.IO.Path.Combine(tmp, OptimizerFile));
            vocabulary?.Save(System.IO.Path.Combine(tmp, VocabularyFile));
            var meta = new JsonObject
            {
                ["format"] = Format,
                ["version"] = 1,
                ["model"] = config.Model,
                ["config_hash"] = config.Hash(),
                ["config"] = JsonSerializer.SerializeToNode(config, TrainingLog.JsonOptions),
                ["epoch"] = position.Epoch,
                ["next_batch"] = position.NextBatch,
                ["step"] = position.Step,
                ["epoch_progress"] = JsonSerializer.SerializeToNode(position.Progress, TrainingLog.JsonOptions),
                ["rng"] = new JsonObject
                {
                    ["seed"] = config.Seed,
                    ["shuffle"] = $"SplitMix64 permutation seeded by (seed, epoch {position.Epoch})",
                    ["dropout"] = $"System.Random seeded by (seed, step) from step {position.Step}",
                },
                ["vocabulary"] = vocabulary is null ? null : VocabularyFile,
                ["epochs"] = JsonSerializer.SerializeToNode(epochs, TrainingLog.JsonOptions),
                ["resumed_from"] = JsonSerializer.SerializeToNode(resumedFrom, TrainingLog.JsonOptions),
            };
            if (outputs is not null)
                meta["outputs"] = new JsonObject { ["model"] = Abs(outputs.Model), ["log"] = Abs(outputs.Log) };
            AtomicFile.WriteAllText(System.IO.Path.Combine(tmp, MetaFile), meta.ToJsonString(TrainingLog.JsonOptions));
            if (Directory.Exists(final)) DeleteQuietly(final, rename: true);
            Directory.Move(tmp, final);
        }
        catch
        {
            DeleteQuietly(tmp, rename: false);
            throw;
        }
        string? previous = ReadPointer(dir);
        AtomicFile.WriteAllText(System.IO.Path.Combine(dir, PointerFile), new JsonObject { ["checkpoint"] = name }.ToJsonString() + "\n");
        foreach (var d in Directory.GetDirectories(dir))
        {
            string n = System.IO.Path.GetFileName(d);
            bool ours = System.Text.RegularExpressions.Regex.IsMatch(n, @"^e\d{3,}-b\d{6,}$");
            bool staleTmp = n.StartsWith('.') && n.EndsWith(".tmp", StringComparison.Ordinal) && n.Contains($".{Environment.ProcessId}.");
            if ((ours && n != name && n != previous) || staleTmp) DeleteQuietly(d, rename: false);
        }
        return final;
    }

    /// <summary>The folder latest.json names, or null.</summary>
    private static string? ReadPointer(string dir)
    {
        string p = System.IO.Path.Combine(dir, PointerFile);
        if (!File.Exists(p)) return null;
        try { return JsonNode.Parse(File.ReadAllText(p))?["checkpoint"]?.GetValue<string>(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return null; }
    }

    private static void DeleteQuietly(string dir, bool rename)
    {
        try
        {
            if (rename)
            {
                string aside = dir + $".{Guid.NewGuid():N}.old";
                Directory.Move(dir, aside);
                dir = aside;
            }
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Resolves <paramref name="dir"/> (a checkpoint directory with latest.json, or one checkpoint folder) to
    /// the checkpoint folder.</summary>
    public static string Resolve(string dir)
    {
        if (!Directory.Exists(dir))
            throw new LowBitException(ErrorKind.FileNotFound, $"--resume {dir}: folder not found");
        if (File.Exists(System.IO.Path.Combine(dir, MetaFile))) return dir;
        if (ReadPointer(dir) is string name && Directory.Exists(System.IO.Path.Combine(dir, name)))
            return System.IO.Path.Combine(dir, name);
        throw new LowBitException(ErrorKind.FileNotFound, $"--resume {dir}: no checkpoint there ({PointerFile} or {MetaFile} not found)");
    }

    /// <summary>Reads the checkpoint in <paramref name="dir"/> (see <see cref="Resolve"/>). A damaged or edited one is an
    /// <see cref="ErrorKind.InvalidInput"/> error naming the file.</summary>
    public static LoadedCheckpoint Load(string dir)
    {
        string folder = Resolve(dir);
        string metaPath = System.IO.Path.Combine(folder, MetaFile);
        JsonNode meta;
        try { meta = JsonNode.Parse(File.ReadAllText(metaPath)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw Damaged(metaPath, e.Message); }
        try
        {
            if ((string?)meta["format"] != Format) throw Damaged(metaPath, $"not a {Format} file");
            var config = CheckpointConfig.Read(meta["config"] ?? throw Damaged(metaPath, "no config"));
            if ((string?)meta["config_hash"] != config.Hash())
                throw Damaged(metaPath, "the config does not match its hash (edited by hand?)");
            var progress = meta["epoch_progress"].Deserialize<EpochProgress>(TrainingLog.JsonOptions) ?? throw Damaged(metaPath, "no epoch_progress");
            var position = new TrainingPosition((int)meta["epoch"]!, (int)meta["next_batch"]!, (long)meta["step"]!, progress);
            var weights = OnnxImporter.Load(System.IO.Path.Combine(folder, ModelFile)).Initializers;
            var optimizer = OnnxImporter.Load(System.IO.Path.Combine(folder, OptimizerFile)).Initializers;
            var vocabulary = meta["vocabulary"] is null ? null : CharVocabulary.Load(System.IO.Path.Combine(folder, VocabularyFile));
            var epochs = meta["epochs"].Deserialize<List<EpochRecord>>(TrainingLog.JsonOptions) ?? new();
            var resumed = meta["resumed_from"].Deserialize<List<string>>(TrainingLog.JsonOptions) ?? new();
            var outputs = meta["outputs"] is JsonObject o ? new CheckpointOutputs((string?)o["model"], (string?)o["log"]) : null;
            return new LoadedCheckpoint(folder, config, position, weights, optimizer, vocabulary, epochs, resumed) { Outputs = outputs };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException)
        {
            throw Damaged(metaPath, e.Message);
        }
    }

    private static string? Abs(string? path) => path is null ? null : System.IO.Path.GetFullPath(path);

    private static LowBitException Damaged(string path, string why) =>
        new(ErrorKind.InvalidInput, $"{path}: damaged checkpoint ({CliSafe(why)})");

    private static string CliSafe(string s) => s.Replace('\n', ' ').Replace('\r', ' ');
}
