using System.Text.Json;

namespace LowBit.Cli.Tests.Commands;

public class InspectCommandTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    [Fact]
    public void Inspect_Json_IsOneObjectWithDocumentedFields()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var r = CliHarness.Run("inspect", model, "--json");
        Assert.Equal(0, r.Code);
        Assert.Equal("", r.Err);
        var j = r.Json();
        Assert.Equal("inspect", j.GetProperty("command").GetString());
        Assert.Equal(model, j.GetProperty("model").GetString());
        Assert.Equal(8, j.GetProperty("ir_version").GetInt64());
        Assert.Equal(17, j.GetProperty("opsets").GetProperty("ai.onnx").GetInt64());
        Assert.Equal("LowBit", j.GetProperty("producer").GetString());
        Assert.True(j.GetProperty("file_bytes").GetInt64() > 0);
        Assert.Equal(1, j.GetProperty("nodes").GetInt32());
        var op = j.GetProperty("op_histogram")[0];
        Assert.Equal("Identity", op.GetProperty("op").GetString());
        Assert.Equal(1, op.GetProperty("count").GetInt32());
        Assert.True(op.GetProperty("supported").GetBoolean());
        Assert.Equal(0, j.GetProperty("parameters").GetInt64());
        Assert.True(j.GetProperty("lowbit_supports_all").GetBoolean());
        Assert.Equal(0, j.GetProperty("unsupported").GetArrayLength());
        Assert.Equal(JsonValueKind.Object, j.GetProperty("bytes_by_dtype").ValueKind);
    }

    [Fact]
    public void Inspect_SymbolicDim_IsShownByName()
    {
        var model = h.Save(CliHarness.IdentityModel(), "m.onnx");
        var input = CliHarness.Run("inspect", model, "--json").Json().GetProperty("inputs")[0];
        Assert.Equal("x", input.GetProperty("name").GetString());
        Assert.Equal("float32", input.GetProperty("dtype").GetString());
        var shape = input.GetProperty("shape");
        Assert.Equal("batch", shape[0].GetString());
        Assert.Equal(3, shape[1].GetInt32());
        Assert.Contains("[batch,3]", CliHarness.Run("inspect", model).Out);
    }

    [Fact]
    public void Inspect_UnsupportedOps_ListsEveryTypeWithItsNodesAndOpsetAndExitsZero()
    {
        var model = h.Save(CliHarness.UnsupportedModel(), "u.onnx");
        var r = CliHarness.Run("inspect", model, "--json");
        Assert.Equal(0, r.Code);
        var j = r.Json();
        Assert.False(j.GetProperty("lowbit_supports_all").GetBoolean());
        var un = j.GetProperty("unsupported").EnumerateArray().ToDictionary(e => e.GetProperty("op").GetString()!);
        Assert.Equal(2, un.Count);
        Assert.Equal(new[] { "fake1", "fake2" }, un["NotARealOp"].GetProperty("nodes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(17, un["NotARealOp"].GetProperty("opset").GetInt64());
        Assert.Equal("com.example", un["com.example.Frobnicate"].GetProperty("domain").GetString());
        Assert.Equal(1, un["com.example.Frobnicate"].GetProperty("opset").GetInt64());

        var text = CliHarness.Run("inspect", model).Out;
        Assert.Contains("does not implement 2 operator type", text);
        Assert.Contains("fake1, fake2", text);
    }

    [Fact]
    public void Inspect_Human_ShowsProducerInputsOutputsAndOps()
    {
        var model = h.Save(CliHarness.TwoInputModel(), "two.onnx");
        var r = CliHarness.Run("inspect", model);
        Assert.Equal(0, r.Code);
        foreach (var s in new[] { "IR version 8", "ai.onnx 17", "int64", "out/a:0", "Identity", "Parameters: 0" })
            Assert.Contains(s, r.Out);
    }

    [Fact]
    public void Inspect_RealResNet18_ReportsOpsetInputAndParameterCount()
    {
        Assert.True(File.Exists(RealModels.ResNet18), $"missing {RealModels.ResNet18}: run 'dotnet restore' (PackageDownload)");
        var j = CliHarness.Run("inspect", RealModels.ResNet18, "--json").Json();
        Assert.Equal(3, j.GetProperty("ir_version").GetInt64());
        Assert.Equal(8, j.GetProperty("opsets").GetProperty("ai.onnx").GetInt64());
        var input = j.GetProperty("inputs")[0];
        Assert.Equal("Input247", input.GetProperty("name").GetString());
        Assert.Equal(new[] { 1, 3, 224, 224 }, input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        // Every element of the file's 110 float32 initializers (60.7 MiB): conv weights, BatchNorm scale/bias/mean/variance.
        Assert.Equal(15_908_800, j.GetProperty("parameters").GetInt64());
        Assert.Equal(15_908_800L * 4, j.GetProperty("bytes_by_dtype").GetProperty("float32").GetInt64());
        Assert.Contains(j.GetProperty("op_histogram").EnumerateArray(), o => o.GetProperty("op").GetString() == "Conv");
    }
}
