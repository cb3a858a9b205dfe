using LowBit.Data;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit qat</c> on the committed fashion-cnn and the committed fashion-mnist-1k subset, with a few steps (these
/// check the command; docs/results.md has the full-data figures).</summary>
public class QatCommandTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static string Model => Path.Combine(Assets.Find("fashion-cnn")!, "fashion-cnn.onnx");

    private string[] Args(string output, params string[] more) =>
        ["qat", Model, "--dataset", "fashion-mnist-1k", "--validation", "fashion-mnist-1k", "--out", h.PathOf(output),
         "--epochs", "1", "--max-steps", "6", "--batch", "32", "--max-val", "200", "--calib-samples", "32", "--threads", "2", "--json", .. more];

    [CommittedModelFact]
    public void Qat_W4A4_WritesQdqOnnxThatOrtRunsAndLowBitAgrees()
    {
        var r = CliHarness.Run(Args("q.onnx", "--weights", "int4", "--activations", "uint4"));
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("lsq", j.GetProperty("method").GetString());
        Assert.True(File.Exists(h.PathOf("q.onnx")) && File.Exists(h.PathOf("q.lowbit.json")) && File.Exists(h.PathOf("q.train.json")));
        var a = j.GetProperty("accuracy");
        Assert.Equal(200, a.GetProperty("samples").GetInt32());
        // ONNX Runtime and LowBit run the same file: the same top-1 up to one image of 200 (float summation order).
        Assert.InRange(Math.Abs(a.GetProperty("trained").GetDouble() - a.GetProperty("trained_lowbit").GetDouble()), 0, 1 / 200.0 + 1e-9);
        // The file is standard QDQ: only ONNX-domain ops, activations behind a 4-bit grid clip.
        var g = Onnx.OnnxImporter.Load(h.PathOf("q.onnx"));
        Assert.All(g.Nodes, n => Assert.Equal("", n.Domain));
        Assert.Contains(g.Nodes, n => n.OpType == "Clip" && n.Name.EndsWith("_GridClip", StringComparison.Ordinal));
        Assert.Single(j.GetProperty("epochs").EnumerateArray());
    }

    [CommittedModelFact]
    public void Qat_WithTeacherGuideAndPact_RunsAndRecordsThem()
    {
        var r = CliHarness.Run(Args("p.onnx", "--method", "pact", "--teacher", Model, "--distill-weight", "0.7", "--temperature", "2",
            "--guide", Model, "--align", "block2.relu2=block2.relu2", "--align-weight", "0.5"));
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("pact", j.GetProperty("method").GetString());
        Assert.EndsWith("fashion-cnn.onnx", j.GetProperty("teacher").GetString());
    }

    [Theory]
    [InlineData(2, "--method", "--method adam: unknown method", "--method", "adam")]
    [InlineData(2, "--distill-weight", "give --teacher FILE", "--distill-weight", "0.3")]
    [InlineData(2, "--distill-weight", "must be in [0, 1]", "--teacher", "TEACHER", "--distill-weight", "1.5")]
    [InlineData(3, "--teacher", "file not found", "--teacher", "/nonexistent/t.onnx")]
    [InlineData(2, "--optimizer", "--optimizer rmsprop: use sgd or adamw", "--optimizer", "rmsprop")]
    [InlineData(2, "--align", "need --guide FILE", "--align", "x=y")]
    [InlineData(2, "--align", "the model has no value 'nope'", "--guide", "TEACHER", "--align", "nope=block2.relu2")]
    [InlineData(2, "--align", "expected STUDENT=GUIDE", "--guide", "TEACHER", "--align", "block2.relu2")]
    [InlineData(2, "--weights", "needs a fixed grid", "--weights", "kmeans4")]
    public void Qat_BadInput_OneLineErrorAndNothingWritten(int code, string _, string message, params string[] more)
    {
        var args = Args("bad.onnx", [.. more.Select(m => m == "TEACHER" ? Model : m)]).Where(a => a != "--json").ToArray();
        var r = CliHarness.Run(args);
        Assert.Equal(code, r.Code);
        Assert.Contains(message, Assert.Single(r.ErrLines));
        Assert.False(File.Exists(h.PathOf("bad.onnx")));
        Assert.False(File.Exists(h.PathOf("bad.lowbit.json")));
    }
}
