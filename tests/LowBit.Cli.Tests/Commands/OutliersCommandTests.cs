using LowBit.Nn.Zoo;

namespace LowBit.Cli.Tests.Commands;

public class OutliersCommandTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    [Fact]
    public void Outliers_VitTinyJson_ReportsEveryBlockBranchAndStream()
    {
        string model = h.Save(ModelZoo.Build("vit-tiny", new VitOptions(depth: 2, attention: AttentionKind.ClippedSoftmax)), "v.onnx");
        var r = CliHarness.Run("outliers", model, "--data", "fashion-mnist-1k", "--samples", "20", "--batch", "8", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal(20, j.GetProperty("samples").GetInt64());
        var tensors = j.GetProperty("tensors").EnumerateArray().ToList();
        Assert.Equal(8, tensors.Count);  // 2 blocks × (attention, stream, FFN, stream)
        var fc2 = Assert.Single(tensors, t => t.GetProperty("tensor").GetString() == "block0.mlp.fc2");
        Assert.Equal("ffn", fc2.GetProperty("role").GetString());
        Assert.True(fc2.GetProperty("max_abs").GetDouble() > 0);
        Assert.True(j.GetProperty("max_abs").GetDouble() >= fc2.GetProperty("max_abs").GetDouble());
        Assert.True(fc2.GetProperty("kurtosis").GetDouble() >= 1);  // n·M₄/M₂² ≥ 1 for any data
    }

    [Fact]
    public void Outliers_ModelWithoutResidual_ExitsNamingTensorFlag()
    {
        string model = h.Save(ModelZoo.Build("fashion-cnn"), "c.onnx");
        var r = CliHarness.Run("outliers", model, "--data", "fashion-mnist-1k", "--samples", "4");
        Assert.NotEqual(0, r.Code);
        Assert.Contains("--tensor", r.Err);
    }
}
