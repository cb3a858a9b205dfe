using System.Text.Json;
using System.Text.Json.Nodes;
using LowBit.Data;
using LowBit.Onnx;

namespace LowBit.Cli.Tests.Commands;

/// <summary>End-to-end <c>lowbit train</c> on the committed 1,000-image subset: a couple of steps of batch 8 on one
/// thread (CI-sized), plus every bad-input class with its exit code and one-line message.</summary>
public class TrainCommandTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private string[] Smoke(string model = "fashion-cnn", params string[] extra) =>
    [
        "train", model, "--dataset", "fashion-mnist-1k", "--validation", "fashion-mnist-1k", "--epochs", "1", "--max-steps", "2",
        "--batch", "8", "--max-val", "16", "--threads", "1", "--out", h.PathOf("m.onnx"), .. extra,
    ];

    private static void AssertError(CliResult r, int code, params string[] mentions)
    {
        Assert.Equal(code, r.Code);
        Assert.Equal("", r.Out);
        var line = Assert.Single(r.ErrLines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Equal(line, r.ErrLines[^1]);
        Assert.DoesNotContain("   at ", r.Err);
        foreach (var m in mentions) Assert.Contains(m, line);
    }

    [Fact]
    public void Train_SmokeRunJson_WritesModelLogCheckpointAndOnlyJsonOnStdout()
    {
        var r = CliHarness.Run([.. Smoke(), "--json"]);
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("train", j.GetProperty("command").GetString());
        Assert.Equal(h.PathOf("m.onnx"), j.GetProperty("out").GetString());
        var epoch = Assert.Single(j.GetProperty("epochs").EnumerateArray());
        Assert.Equal(2, epoch.GetProperty("steps").GetInt32());
        Assert.Equal(16, epoch.GetProperty("validation").GetProperty("samples").GetInt32());
        Assert.Equal(10, j.GetProperty("final").GetProperty("classification").GetProperty("per_class").GetArrayLength());

        Assert.Equal("fashion-cnn", OnnxImporter.Load(h.PathOf("m.onnx")).Name);
        using var log = JsonDocument.Parse(File.ReadAllText(h.PathOf("m.train.json")));
        Assert.Equal("completed", log.RootElement.GetProperty("outcome").GetString());
        string ck = j.GetProperty("checkpoint").GetString()!;
        Assert.Equal(h.PathOf("checkpoints/fashion-cnn/e001-b000000"), ck);
        Assert.True(File.Exists(Path.Combine(ck, "model.onnx")));
        Assert.Contains("epoch 1/1 step 2/2", r.Err);
    }

    [Fact]
    public void Train_Human_PrintsHeaderProgressAndSummaryTable()
    {
        var r = CliHarness.Run(Smoke());
        Assert.True(r.Code == 0, r.Err);
        Assert.StartsWith("training fashion-cnn (266,602 parameters) on fashion-mnist-1k: 2 steps/epoch", r.ErrLines[0]);
        Assert.Contains(r.ErrLines, l => l.StartsWith("epoch 1/1: train loss", StringComparison.Ordinal) && l.Contains("val loss") && l.Contains("top-1"));
        Assert.Contains("val top-1", r.Out);
        Assert.Contains("final validation: top-1", r.Out);
        Assert.Contains("wrote " + h.PathOf("m.onnx"), r.Out);
    }

    /// <summary>Cancellation (Ctrl-C) during a long run exits 130 naming the checkpoint and the resume command; resuming
    /// from it with --epochs one past the saved epoch finishes and records where it resumed from.</summary>
    [Fact]
    public void Train_CancelThenResume_Exits130AndResumeCompletes()
    {
        string ck = h.PathOf("ck");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var first = CliHarness.RunWith(cts.Token, "train", "fashion-cnn", "--dataset", "fashion-mnist-1k", "--epochs", "500", "--max-steps", "2",
            "--batch", "8", "--threads", "1", "--out", h.PathOf("m.onnx"), "--checkpoint-dir", ck);
        AssertError(first, 130, "cancelled after step", "--resume " + ck);
        Assert.False(File.Exists(h.PathOf("m.onnx")));
        var latest = JsonNode.Parse(File.ReadAllText(Path.Combine(ck, "latest.json")))!["checkpoint"]!.GetValue<string>();
        int epoch = int.Parse(latest[1..4]);

        var r = CliHarness.Run("train", "fashion-cnn", "--resume", ck, "--epochs", (epoch + 1).ToString(), "--threads", "1",
            "--out", h.PathOf("m.onnx"), "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal(epoch + 1, j.GetProperty("epochs").GetArrayLength());
        Assert.Equal(Path.Combine(ck, latest), j.GetProperty("resumed_from")[0].GetString());
        Assert.Equal(8, j.GetProperty("config").GetProperty("batch_size").GetInt32());
        Assert.True(File.Exists(h.PathOf("m.onnx")));
    }

    [Fact]
    public void Train_ResumeWithAnotherModel_ExitsInvalidInputNamingTheDifference()
    {
        Assert.Equal(0, CliHarness.Run(Smoke()).Code);
        string ck = h.PathOf("checkpoints/fashion-cnn");
        AssertError(CliHarness.Run("train", "resnet8", "--resume", ck, "--threads", "1"), 6, "incompatible checkpoint", "model resnet8 (checkpoint: fashion-cnn)");
        AssertError(CliHarness.Run("train", "fashion-cnn", "--resume", ck, "--optimizer", "adamw", "--threads", "1"), 6, "--optimizer adamw (checkpoint: sgd)");
    }

    [Fact]
    public void Train_NaNLoss_ExitsNumerical8NamingTheStep()
    {
        var r = CliHarness.Run([.. Smoke(extra: ["--lr", "1e30", "--warmup", "0"])]);
        AssertError(r, 8, "NaN", "at step 2");
    }

    [Fact]
    public void Train_MissingDatasetFolder_ExitsFileNotFound3() =>
        AssertError(CliHarness.Run("train", "fashion-cnn", "--dataset", "fashion-mnist=/nonexistent/fm", "--out", h.PathOf("m.onnx")), 3, "/nonexistent/fm");

    [Fact]
    public void Train_DatasetNotIdx_ExitsNamingTheFile()
    {
        File.WriteAllText(h.PathOf("images.idx"), "not an idx file at all");
        var r = CliHarness.Run("train", "fashion-cnn", "--dataset", "idx=" + h.PathOf("images.idx"), "--out", h.PathOf("m.onnx"));
        Assert.NotEqual(0, r.Code);
        AssertError(r, r.Code, "images.idx");
    }

    [Fact]
    public void Train_NonUtf8Text_ExitsInvalidInput6NamingTheByte()
    {
        File.WriteAllBytes(h.PathOf("latin1.txt"), [.. "caf"u8, 0xE9, .. " au lait\n"u8]);
        AssertError(CliHarness.Run("train", "gpt-tiny", "--dataset", "text=" + h.PathOf("latin1.txt"), "--out", h.PathOf("g.onnx")),
            6, "latin1.txt", "not valid UTF-8 at byte 3");
    }

    [Fact]
    public void Train_ValidationLabelsOutOfRange_ExitsInvalidInput6()
    {
        var rng = new Random(1);
        var img = new byte[20 * 28 * 28];
        rng.NextBytes(img);
        var labels = Enumerable.Range(0, 20).Select(i => (byte)(i % 10)).ToArray();
        labels[^1] = 12;
        Idx.Write(h.PathOf("v-img.gz"), new IdxArray(IdxType.UInt8, [20, 28, 28], img));
        Idx.Write(h.PathOf("v-lab.gz"), new IdxArray(IdxType.UInt8, [20], labels));
        var r = CliHarness.Run("train", "fashion-cnn", "--dataset", "fashion-mnist-1k",
            "--validation", $"idx={h.PathOf("v-img.gz")},labels={h.PathOf("v-lab.gz")}", "--out", h.PathOf("m.onnx"));
        AssertError(r, 6, "label 12", "10 classes");
    }

    [Fact]
    public void Train_ImageModelOnText_ExitsUsage2()
    {
        File.WriteAllText(h.PathOf("t.txt"), "hello world\n");
        AssertError(CliHarness.Run("train", "resnet8", "--dataset", "text=" + h.PathOf("t.txt")), 2, "gpt-tiny", "resnet8");
    }

    [Fact]
    public void Train_NoDatasetNoResume_ExitsUsage2() =>
        AssertError(CliHarness.Run("train", "fashion-cnn"), 2, "--dataset");

    [Fact]
    public void Train_UnknownModel_ListsKnownModels() =>
        AssertError(CliHarness.Run("train", "lenet", "--dataset", "fashion-mnist-1k"), 6, "lenet", "fashion-cnn", "gpt-tiny");
}
