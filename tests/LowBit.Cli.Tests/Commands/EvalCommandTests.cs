using LowBit.Data;
using LowBit.Nn.Training;

namespace LowBit.Cli.Tests.Commands;

/// <summary>Models trained once per test class (a few steps: what matters here is the command, not the accuracy).</summary>
public sealed class TrainedModelsFixture : IDisposable
{
    private readonly CliHarness h = new();

    public string Classifier { get; }
    public string LanguageModel { get; }
    public string Corpus { get; }

    public TrainedModelsFixture()
    {
        var cnn = Trainer.Create(new TrainingConfig("fashion-cnn", "fashion-mnist-1k", epochs: 1, batchSize: 16, learningRate: 0.02,
            threads: 1, maxStepsPerEpoch: 4, validationDataset: "none"));
        cnn.Run();
        Classifier = h.PathOf("fcnn.onnx");
        cnn.Export(Classifier);

        var rng = new Random(3);
        var words = new[] { "the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran" };
        Corpus = h.PathOf("corpus.txt");
        File.WriteAllText(Corpus, string.Join(" ", Enumerable.Range(0, 1500).Select(_ => words[rng.Next(words.Length)])));
        var gpt = Trainer.Create(new TrainingConfig("gpt-tiny", $"text={Corpus},seq=16", epochs: 1, batchSize: 8, learningRate: 3e-3,
            threads: 1, maxStepsPerEpoch: 3, validationDataset: "none"));
        gpt.Run();
        LanguageModel = h.PathOf("gpt.onnx");
        gpt.Export(LanguageModel);
    }

    public void Dispose() => h.Dispose();
}

/// <summary>Skipped when assets/fashion-cnn/fashion-cnn.onnx is not shipped next to the tests (the build copies it from
/// the repository; see assets/fashion-cnn/README.md for the command that made it).</summary>
public sealed class CommittedModelFactAttribute : FactAttribute
{
    public CommittedModelFactAttribute()
    {
        if (Assets.Find("fashion-cnn") is not string d || !File.Exists(Path.Combine(d, "fashion-cnn.onnx")))
            Skip = "assets/fashion-cnn/fashion-cnn.onnx not found next to the tests";
    }
}

public class EvalCommandTests(TrainedModelsFixture models) : IClassFixture<TrainedModelsFixture>, IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static void AssertError(CliResult r, int code, params string[] mentions)
    {
        Assert.Equal(code, r.Code);
        Assert.Equal("", r.Out);
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("error: ", line);
        foreach (var m in mentions) Assert.Contains(m, line);
    }

    private string WriteIdx(string name, int h28, int w28, int maxLabel)
    {
        var rng = new Random(1);
        var img = new byte[20 * h28 * w28];
        rng.NextBytes(img);
        var labels = Enumerable.Range(0, 20).Select(i => (byte)(i % 10)).ToArray();
        labels[^1] = (byte)maxLabel;
        Idx.Write(h.PathOf(name + "-img.gz"), new IdxArray(IdxType.UInt8, [20, h28, w28], img));
        Idx.Write(h.PathOf(name + "-lab.gz"), new IdxArray(IdxType.UInt8, [20], labels));
        return $"idx={h.PathOf(name + "-img.gz")},labels={h.PathOf(name + "-lab.gz")}";
    }

    [Fact]
    public void Eval_Classifier_JsonHasTop1Top5PerClassAndConfusion()
    {
        var r = CliHarness.Run("eval", models.Classifier, "--dataset", "fashion-mnist-1k", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("eval", j.GetProperty("command").GetString());
        Assert.Equal("classification", j.GetProperty("task").GetString());
        Assert.Equal(1000, j.GetProperty("samples").GetInt32());
        var c = j.GetProperty("classification");
        double top1 = c.GetProperty("top1").GetDouble(), top5 = c.GetProperty("top5").GetDouble();
        Assert.InRange(top1, 0, 1);
        Assert.True(top5 >= top1);
        var perClass = c.GetProperty("per_class").EnumerateArray().ToList();
        Assert.Equal(10, perClass.Count);
        Assert.Equal("T-shirt/top", perClass[0].GetProperty("name").GetString());
        Assert.All(perClass, k => Assert.Equal(100, k.GetProperty("samples").GetInt32()));
        var confusion = c.GetProperty("confusion").EnumerateArray().Select(row => row.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        Assert.Equal(1000, confusion.Sum(row => row.Sum()));
        Assert.Equal(top1, Enumerable.Range(0, 10).Sum(i => confusion[i][i]) / 1000.0, 12);
    }

    /// <summary>The same file on ONNX Runtime: top-1 within 0.05 points (half an image of 1,000).</summary>
    [Fact]
    public void Eval_OrtEngine_MatchesLowBitTop1()
    {
        double Top1(string engine) => CliHarness.Run("eval", models.Classifier, "--dataset", "fashion-mnist-1k", "--engine", engine,
            "--threads", "1", "--json").Json().GetProperty("classification").GetProperty("top1").GetDouble();
        Assert.True(Math.Abs(Top1("lowbit") - Top1("ort")) * 100 <= 0.05);
    }

    [Fact]
    public void Eval_Human_PrintsAccuracyPerClassTableAndConfusionMatrix()
    {
        var r = CliHarness.Run("eval", models.Classifier, "--dataset", "fashion-mnist-1k", "--limit", "200", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("(200 images) with LowBit", r.Out);
        Assert.Contains("top-1 ", r.Out);
        Assert.Contains("Ankle boot", r.Out);
        Assert.Contains("confusion matrix", r.Out);
    }

    [Fact]
    public void Eval_LabelsBeyondModelClasses_ExitsInvalidInput6() =>
        AssertError(CliHarness.Run("eval", models.Classifier, "--dataset", WriteIdx("big", 28, 28, 12)), 6, "label 12", "10 classes");

    [Fact]
    public void Eval_SamplesOfAnotherShape_ExitsInvalidInput6SayingWhatWasExpected() =>
        AssertError(CliHarness.Run("eval", models.Classifier, "--dataset", WriteIdx("small", 16, 16, 3)), 6, "[N,1,28,28]", "[1,16,16]");

    [Fact]
    public void Eval_UnlabelledData_ExitsInvalidInput6() =>
        AssertError(CliHarness.Run("eval", models.Classifier, "--dataset", "random:8"), 6, "no labels");

    [Fact]
    public void Eval_MissingDataset_ExitsFileNotFound3() =>
        AssertError(CliHarness.Run("eval", models.Classifier, "--dataset", "fashion-mnist:test=/nonexistent/fm"), 3, "/nonexistent/fm");

    [Fact]
    public void Eval_LanguageModel_ReportsPerplexityOnBothEngines()
    {
        double Ppl(string engine)
        {
            var r = CliHarness.Run("eval", models.LanguageModel, "--dataset", $"text={models.Corpus}", "--engine", engine, "--threads", "1", "--json");
            Assert.True(r.Code == 0, r.Err);
            var lm = r.Json().GetProperty("language_model");
            Assert.True(lm.GetProperty("tokens").GetInt64() > 0);
            return lm.GetProperty("perplexity").GetDouble();
        }
        double mine = Ppl("lowbit"), ort = Ppl("ort");
        Assert.InRange(mine, 1, 100);
        Assert.Equal(mine, ort, 1e-3 * mine);
    }

    [Fact]
    public void Eval_LanguageModelOnImages_ExitsInvalidInput6() =>
        AssertError(CliHarness.Run("eval", models.LanguageModel, "--dataset", "fashion-mnist-1k"), 6, "language model", "text=FILE");

    [Fact]
    public void Eval_LanguageModelSeqMismatch_ExitsInvalidInput6() =>
        AssertError(CliHarness.Run("eval", models.LanguageModel, "--dataset", $"text={models.Corpus},seq=32"), 6, "seq=32", "16 tokens");

    /// <summary>The committed default model (assets/fashion-cnn) on the committed 1,000-image subset: the accuracy its
    /// README states, on both engines.</summary>
    [CommittedModelFact]
    public void Eval_CommittedFashionCnn_ReachesNinetyPercentOnSubset()
    {
        string dir = Assets.Find("fashion-cnn")!;
        foreach (var engine in new[] { "lowbit", "ort" })
        {
            var r = CliHarness.Run("eval", Path.Combine(dir, "fashion-cnn.onnx"), "--dataset", "fashion-mnist-1k", "--engine", engine, "--json");
            Assert.True(r.Code == 0, r.Err);
            Assert.True(r.Json().GetProperty("classification").GetProperty("top1").GetDouble() >= 0.9);
        }
    }
}
