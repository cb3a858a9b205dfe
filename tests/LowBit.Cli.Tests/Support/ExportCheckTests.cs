using LowBit.Cli.Support;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Support;

public class ExportCheckTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static Dictionary<string, Tensor> X() => new() { ["x"] = Tensor.Zeros(DType.Float32, 2, 3) };

    [Fact]
    public void Run_ModelOrtCannotLoad_DeletesItAndCompanionsAndNamesTheReason()
    {
        string model = h.Save(CliHarness.UnsupportedModel(), "bad.onnx");
        string manifest = h.PathOf("bad.lowbit.json");
        File.WriteAllText(manifest, "{}");
        var e = Assert.Throws<LowBitException>(() => ExportCheck.Run("--out", model, X(), 1, [manifest], "try --weights int8"));
        Assert.Equal(ErrorKind.UnsupportedOp, e.Kind);
        Assert.StartsWith($"--out {model}: ONNX Runtime cannot run the exported model", e.Message);
        Assert.Contains("NotARealOp", e.Message);
        Assert.EndsWith("; try --weights int8", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(model));
        Assert.False(File.Exists(manifest));
    }

    [Fact]
    public void Run_ModelOrtRuns_KeepsEverything()
    {
        string model = h.Save(CliHarness.IdentityModel(), "ok.onnx");
        ExportCheck.Run("--out", model, X(), 1, []);
        Assert.True(File.Exists(model));
    }

    [Fact]
    public void Run_InputsOfTheWrongShape_IsAFailureToo()
    {
        string model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var e = Assert.Throws<LowBitException>(() => ExportCheck.Run("--out", model, new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(DType.Float32, 2, 5) }, 1, []));
        Assert.Contains("ONNX Runtime cannot run", e.Message);
        Assert.False(File.Exists(model));
    }
}
