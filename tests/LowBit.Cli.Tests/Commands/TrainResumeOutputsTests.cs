using System.Text.Json.Nodes;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>train --resume</c> writes the model and log the interrupted run was asked for (stored in its checkpoint),
/// not MODEL.onnx in the current folder.</summary>
public class TrainResumeOutputsTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    [Fact]
    public void Resume_WithoutOutOrLog_WritesTheInterruptedRunsFiles()
    {
        string ck = h.PathOf("ck"), model = h.PathOf("mine.onnx"), log = h.PathOf("logs.json");
        // One epoch of 2 steps writes a checkpoint at the epoch's end, like a run stopped there.
        var first = CliHarness.Run("train", "fashion-cnn", "--dataset", "fashion-mnist-1k", "--validation", "none", "--epochs", "1", "--max-steps", "2",
            "--batch", "8", "--threads", "1", "--out", model, "--log", log, "--checkpoint-dir", ck);
        Assert.True(first.Code == 0, first.Err);
        string latest = JsonNode.Parse(File.ReadAllText(Path.Combine(ck, "latest.json")))!["checkpoint"]!.GetValue<string>();
        var outputs = JsonNode.Parse(File.ReadAllText(Path.Combine(ck, latest, "checkpoint.json")))!["outputs"]!;
        Assert.Equal(model, outputs["model"]!.GetValue<string>());
        Assert.Equal(log, outputs["log"]!.GetValue<string>());
        File.Delete(model);
        File.Delete(log);

        var r = CliHarness.Run("train", "fashion-cnn", "--resume", ck, "--epochs", "2", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal(model, j.GetProperty("out").GetString());
        Assert.Equal(log, j.GetProperty("log").GetString());
        Assert.True(File.Exists(model));
        Assert.True(File.Exists(log));
    }
}
