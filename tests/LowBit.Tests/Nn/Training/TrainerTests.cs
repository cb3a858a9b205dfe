using System.Text.Json;
using LowBit.Nn.Training;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;
using LowBit.Tests.Data;
using LowBit.Tests.Nn.Zoo;
using static LowBit.Tests.Nn.Training.TrainingTestSupport;

namespace LowBit.Tests.Nn.Training;

public class TrainerTests
{
    /// <summary>15 SGD steps of batch 32 at η = 0.02 take fashion-cnn from chance (10 %) to a clearly learning model
    /// (PyTorch's same network reaches 60–70 % on this subset in 30 steps); the bounds leave room for dropout noise and
    /// still fail if any gradient or update is wrong.</summary>
    [ZooTrainableFact("fashion-cnn")]
    public void Run_FashionCnnOnSubset_ReducesLossAndBeatsChance()
    {
        var trainer = Trainer.Create(SmallCnn(epochs: 3, maxSteps: 5, batch: 32));
        var losses = new List<double>();
        trainer.StepCompleted += p => losses.Add(p.Loss);
        var log = trainer.Run();
        Assert.Equal(15, losses.Count);
        double first = losses.Take(3).Average(), last = losses.TakeLast(3).Average();
        Assert.True(last < 0.8 * first, $"loss {first:F3} → {last:F3}: {string.Join(" ", losses.Select(l => l.ToString("F2")))}");
        Assert.Equal(3, log.Epochs.Count);
        Assert.True(log.Final!.Classification!.Top1 > 0.3, $"validation top-1 {log.Final.Classification.Top1}");
    }

    [ZooTrainableFact("fashion-cnn")]
    public void Run_LogPath_WritesEpochsConfigAndFinalMetrics()
    {
        using var dir = new TempDir();
        var trainer = Trainer.Create(SmallCnn(epochs: 2, maxSteps: 2));
        trainer.LogPath = dir.File("run.train.json");
        trainer.Run();
        using var doc = JsonDocument.Parse(File.ReadAllText(trainer.LogPath));
        var j = doc.RootElement;
        Assert.Equal("lowbit-training-log", j.GetProperty("format").GetString());
        Assert.Equal("fashion-cnn", j.GetProperty("config").GetProperty("model").GetString());
        Assert.Equal("sgd", j.GetProperty("config").GetProperty("optimizer").GetString());
        Assert.Equal(trainer.Config.Hash(), j.GetProperty("config_hash").GetString());
        Assert.Equal(266_602, j.GetProperty("parameters").GetInt64());
        Assert.Equal("completed", j.GetProperty("outcome").GetString());
        var epochs = j.GetProperty("epochs").EnumerateArray().ToList();
        Assert.Equal(2, epochs.Count);
        foreach (var e in epochs)
        {
            Assert.Equal(2, e.GetProperty("steps").GetInt32());
            Assert.Equal(32, e.GetProperty("samples").GetInt64());
            Assert.InRange(e.GetProperty("train_loss").GetDouble(), 0.01, 10);
            Assert.InRange(e.GetProperty("train_accuracy").GetDouble(), 0, 1);
            Assert.True(e.GetProperty("learning_rate").GetDouble() > 0);
            Assert.True(e.GetProperty("samples_per_second").GetDouble() > 0);
            Assert.True(e.GetProperty("seconds").GetDouble() > 0);
            Assert.Equal(100, e.GetProperty("validation").GetProperty("samples").GetInt32());
        }
        var final = j.GetProperty("final").GetProperty("classification");
        Assert.Equal(10, final.GetProperty("per_class").GetArrayLength());
        Assert.Equal(100, final.GetProperty("confusion").EnumerateArray().Sum(r => r.EnumerateArray().Sum(x => x.GetInt32())));
    }

    /// <summary>The exported file is an ordinary inference model: BatchNormalization without training_mode, the frozen
    /// constants listed, class names stored. On the 1,000-image subset it scores exactly what the trainer's own final
    /// validation scored (same graph, same weights), and ONNX Runtime's top-1 is within 0.05 points of LowBit's (half
    /// an image: float differences may flip at most a near-tie).</summary>
    [ZooTrainableFact("fashion-cnn")]
    public void Export_TrainedModel_KeepsAccuracyAndOrtMatchesLowBit()
    {
        using var dir = new TempDir();
        var trainer = Trainer.Create(SmallCnn(epochs: 1, maxSteps: 6) with { MaxValidationSamples = null });
        var log = trainer.Run();
        string path = dir.File("fcnn.onnx");
        trainer.Export(path);

        var g = OnnxImporter.Load(path);
        Assert.All(g.Nodes.Where(n => n.OpType == "BatchNormalization"), n => Assert.False(n.Attributes.ContainsKey("training_mode")));
        Assert.True(g.Metadata.Properties.ContainsKey(LowBit.Nn.Parameters.FrozenProperty));
        Assert.Equal(LowBit.Data.FashionMnist.ClassNames, TrainedModel.ClassNames(g));

        var data = LowBit.Data.FashionMnist.OpenSubset();
        var session = new Session(g, new SessionOptions(1));
        using var ort = OrtRunner.FromFile(path, 1);
        var mine = ImageTrainingData.Evaluate(data, x => session.Run(new Dictionary<string, Tensor> { ["input"] = x })["logits"], 16, null, default);
        var theirs = ImageTrainingData.Evaluate(data, x => ort.Run(new Dictionary<string, Tensor> { ["input"] = x })["logits"], 16, null, default);
        Assert.Equal(1000, mine.Samples);
        Assert.Equal(log.Final!.Classification!.Top1, mine.Top1);
        Assert.True(Math.Abs(mine.Top1 - theirs.Top1) * 100 <= 0.05, $"LowBit {mine.Top1:P2}, ONNX Runtime {theirs.Top1:P2}");
    }

    [ZooTrainableFact("gpt-tiny")]
    public void Run_GptTinyOnText_ReportsFallingPerplexityAndExportsVocabulary()
    {
        using var dir = new TempDir();
        string corpus = WriteCorpus(dir);
        var config = new TrainingConfig("gpt-tiny", $"text={corpus},seq=16", epochs: 2, batchSize: 8, learningRate: 3e-3, threads: 1,
            maxStepsPerEpoch: 6, maxValidationSamples: 32, warmupEpochs: 0);
        var trainer = Trainer.Create(config);
        var log = trainer.Run();
        var ppl = log.Epochs.Select(e => e.Validation!.Perplexity!.Value).ToList();
        Assert.True(ppl[1] < ppl[0], $"perplexity {ppl[0]:F2} → {ppl[1]:F2}");
        Assert.True(ppl[1] < trainer.Vocabulary!.Size, $"perplexity {ppl[1]:F2} is no better than uniform over {trainer.Vocabulary.Size}");
        Assert.NotNull(log.Epochs[0].TokensPerSecond);

        string path = dir.File("gpt.onnx");
        trainer.Export(path);
        var g = OnnxImporter.Load(path);
        Assert.Equal(trainer.Vocabulary.CodePoints, TrainedModel.Vocabulary(g, null)!.CodePoints);
        Assert.True(File.Exists(dir.File("gpt.vocab.json")));
        Assert.Equal([16], g.Inputs[0].Shape!.Skip(1).Select(d => (int)d.Value!.Value));
    }

    [Fact]
    public void Create_ValidationLabelsBeyondModelClasses_NamesLabelAndClasses()
    {
        using var dir = new TempDir();
        string train = WriteIdx(dir, "train", 64, 28, 28, classes: 10);
        string val = WriteIdx(dir, "val", 20, 28, 28, classes: 10, extraLabel: 12);
        var config = new TrainingConfig("fashion-cnn", train, validationDataset: val, threads: 1);
        var e = Assert.Throws<LowBitException>(() => Trainer.Create(config));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("label 12", e.Message);
        Assert.Contains("10 classes", e.Message);
    }

    [Fact]
    public void Create_ImageModelOnText_IsUsageErrorNamingTheModel()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<LowBitException>(() => Trainer.Create(new TrainingConfig("resnet8", $"text={WriteCorpus(dir)}")));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("resnet8", e.Message);
    }

    [Fact]
    public void Create_MissingDatasetFolder_IsFileNotFoundNamingIt()
    {
        var e = Assert.Throws<LowBitException>(() => Trainer.Create(new TrainingConfig("fashion-cnn", "fashion-mnist=/nonexistent/fm")));
        Assert.Equal(ErrorKind.FileNotFound, e.Kind);
        Assert.Contains("/nonexistent/fm", e.Message);
    }
}
