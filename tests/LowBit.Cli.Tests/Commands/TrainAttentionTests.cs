using LowBit.Onnx;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit train --attention</c>: the choice reaches the model, survives a resume, and bad uses are one-line
/// usage errors.</summary>
public class TrainAttentionTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private string[] Smoke(string model, params string[] extra) =>
    [
        "train", model, "--dataset", "fashion-mnist-1k", "--validation", "none", "--epochs", "1", "--max-steps", "2",
        "--batch", "8", "--threads", "1", "--out", h.PathOf("m.onnx"), .. extra,
    ];

    private static void AssertError(CliResult r, int code, params string[] mentions)
    {
        Assert.Equal(code, r.Code);
        var line = Assert.Single(r.ErrLines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", r.Err);
        foreach (var m in mentions) Assert.Contains(m, line);
    }

    private static int Count(string path, string opType) => OnnxImporter.Load(path).Nodes.Count(n => n.OpType == opType);

    [Fact]
    public void Train_VitGatedThenResume_KeepsGatesAndRefusesAnotherAttention()
    {
        var r = CliHarness.Run([.. Smoke("vit-tiny", "--attention", "gated"), "--json"]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("gated", r.Json().GetProperty("config").GetProperty("attention").GetString());
        Assert.Equal(4, Count(h.PathOf("m.onnx"), "Sigmoid"));  // one gate per block

        string ck = h.PathOf("checkpoints/vit-tiny");
        var resumed = CliHarness.Run("train", "vit-tiny", "--resume", ck, "--epochs", "2", "--threads", "1", "--force", "--json");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Equal("gated", resumed.Json().GetProperty("config").GetProperty("attention").GetString());
        Assert.Equal(4, Count(h.PathOf("m.onnx"), "Sigmoid"));

        AssertError(CliHarness.Run("train", "vit-tiny", "--resume", ck, "--attention", "vanilla", "--threads", "1"), 6,
            "--attention vanilla (checkpoint: gated)");
    }

    [Fact]
    public void Train_VitClippedSoftmax_ExportsClip()
    {
        var r = CliHarness.Run(Smoke("vit-tiny", "--attention", "clipped-softmax"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(4, Count(h.PathOf("m.onnx"), "Clip"));
    }

    [Fact]
    public void Train_AttentionOnModelWithout_ExitsUsage2() =>
        AssertError(CliHarness.Run(Smoke("fashion-cnn", "--attention", "gated")), 2, "--attention", "fashion-cnn");

    [Fact]
    public void Train_UnknownAttention_ExitsUsage2() =>
        AssertError(CliHarness.Run(Smoke("vit-tiny", "--attention", "linear")), 2, "linear");
}
