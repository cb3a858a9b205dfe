using System.Text.Json;

namespace LowBit.Cli.Tests.Commands;

public class EvalFidelityTests(QuantModelsFixture models) : IClassFixture<QuantModelsFixture>, IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    [Fact]
    public void Eval_Reference_LabelFree_AgreementCosineSqnrKl()
    {
        var r = CliHarness.Run("eval", models.Quantized, "--reference", models.Float, "--data", "random:24", "--engine", "ort", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("fidelity", j.GetProperty("mode").GetString());
        Assert.Equal(24, j.GetProperty("samples").GetInt64());
        Assert.Equal(JsonValueKind.Null, j.GetProperty("accuracy").ValueKind);  // random data has no labels
        var o = Assert.Single(j.GetProperty("outputs").EnumerateArray());
        Assert.Equal("logits", o.GetProperty("name").GetString());
        Assert.InRange(o.GetProperty("cosine_mean").GetDouble(), 0.9, 1.0);
        Assert.True(o.GetProperty("sqnr_db").GetDouble() > 10);
        Assert.InRange(o.GetProperty("top1_agreement").GetDouble(), 0, 1);
        Assert.True(o.GetProperty("top5_agreement").ValueKind == JsonValueKind.Number);  // 10 classes > 5
        Assert.True(o.GetProperty("kl_divergence").GetDouble() >= 0);
    }

    [Fact]
    public void Eval_ReferenceWithLabels_AccuracyOfBothAndDelta()
    {
        var r = CliHarness.Run("eval", models.Quantized, "--reference", models.Float, "--dataset", "fashion-mnist-1k", "--limit", "50",
            "--engine", "lowbit", "--reference-engine", "ort", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("lowbit", j.GetProperty("engine").GetString());
        Assert.Equal("ort", j.GetProperty("reference_engine").GetString());
        var a = j.GetProperty("accuracy");
        double delta = a.GetProperty("top1").GetDouble() - a.GetProperty("reference_top1").GetDouble();
        Assert.Equal(delta, a.GetProperty("top1_delta").GetDouble(), 1e-12);
    }

    [Fact]
    public void Eval_ReferenceItself_IsExact()
    {
        var r = CliHarness.Run("eval", models.Float, "--reference", models.Float, "--data", "random:8", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var o = r.Json().GetProperty("outputs")[0];
        Assert.Equal(1.0, o.GetProperty("top1_agreement").GetDouble());
        Assert.Equal(1.0, o.GetProperty("cosine_mean").GetDouble(), 1e-9);
    }

    [Fact]
    public void Eval_ReferenceHuman_PrintsTheTable()
    {
        var r = CliHarness.Run("eval", models.Quantized, "--reference", models.Float, "--data", "fashion-mnist-1k", "--limit", "20", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("top-1 agree", r.Out);
        Assert.Contains("accuracy: reference top-1", r.Out);
    }

    [Fact]
    public void Eval_ReferenceWithInfInData_OneLineErrorNamingSampleAndInput()
    {
        var data = new float[3 * 784];
        data[784 + 40] = float.NegativeInfinity;
        string npy = h.SaveNpy("inf.npy", Tensors.Tensor.FromArray(data, 3, 1, 28, 28));
        QuantizeCommandTests.AssertError(CliHarness.Run("eval", models.Quantized, "--reference", models.Float, "--data", "npy=" + npy, "--threads", "1"), 6,
            "sample 1: input 'input' contains Inf (element 40)");
    }

    [Fact]
    public void Eval_ReferenceReadsAnotherInput_NamesTheModelFile()
    {
        string dense = h.Save(CliHarness.DenseModel(), "dense.onnx");
        QuantizeCommandTests.AssertError(CliHarness.Run("eval", models.Quantized, "--reference", dense, "--data", "random:4"), 6,
            $"{models.Quantized}: has no input 'x'", "inputs differ");
    }

    [Fact]
    public void Eval_Reference_JsonPathsAreAbsolute()
    {
        string Relative(string p) => Path.GetRelativePath(Directory.GetCurrentDirectory(), p);
        var r = CliHarness.Run("eval", Relative(models.Quantized), "--reference", Relative(models.Float), "--data", "random:4", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(models.Quantized, r.Json().GetProperty("model").GetString());
        Assert.Equal(models.Float, r.Json().GetProperty("reference").GetString());
    }

    [Fact]
    public void Eval_MissingReference_FileNotFound()
        => Assert.Equal(3, CliHarness.Run("eval", models.Quantized, "--reference", "/nonexistent/ref.onnx", "--data", "random:4").Code);
}
