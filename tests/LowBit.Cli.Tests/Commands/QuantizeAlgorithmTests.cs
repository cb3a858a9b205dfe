using System.Text.Json;
using LowBit.Nn;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>quantize --algorithm / --bias-correction</c>: flags, data needs, progress, manifest.</summary>
public class QuantizeAlgorithmTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    /// <summary>Conv-BN-Relu-Conv, GlobalAveragePool, Gemm on [N, 1, 8, 8].</summary>
    private string ConvNet()
    {
        var b = new GraphBuilder("convnet", 4);
        string x = b.Input("input", DType.Float32, 1, 8, 8);
        string r = b.Relu(b.BatchNorm(b.Conv(x, 1, 4, 3, name: "conv1"), 4, "bn"), "relu");
        r = b.Relu(b.Conv(r, 4, 4, 3, name: "conv2"), "relu2");
        b.Output(b.Linear(b.Flatten(b.GlobalAveragePool(r, "gap"), 1, "flat"), 4, 3, "fc"), "y", DType.Float32, 3);
        return h.Save(b.Graph, "convnet.onnx");
    }

    [Fact]
    public void Quantize_BiasCorrection_RecordsAlgorithmAndPerLayerErrors()
    {
        string output = h.PathOf("q.onnx");
        var r = CliHarness.Run("quantize", ConvNet(), "--out", output, "--calib-data", "random:8", "--weights", "int4",
            "--bias-correction", "--threads", "1", "--verbose");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("lowbit: bias correction: conv2 (Conv 4×36): round to nearest; output error ", r.Err);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(output, null) + ".lowbit.json"));
        var config = manifest.RootElement.GetProperty("config").GetProperty("algorithm");
        Assert.Equal("nearest", config.GetProperty("name").GetString());
        Assert.Equal("empirical", config.GetProperty("biasCorrection").GetString());
        var weights = manifest.RootElement.GetProperty("tensors").EnumerateArray().Where(t => t.GetProperty("kind").GetString() == "weight").ToList();
        Assert.Equal(3, weights.Count);
        foreach (var w in weights)
        {
            var a = w.GetProperty("algorithm");
            Assert.True(a.GetProperty("errorNearest").GetDouble() >= 0);
            Assert.True(a.GetProperty("errorAlgorithm").GetDouble() >= 0);
        }
    }

    [Fact]
    public void Quantize_AlgorithmInWeightOnlyModeWithoutData_OneLineUsageError()
    {
        var r = CliHarness.Run("quantize", ConvNet(), "--out", h.PathOf("q.onnx"), "--mode", "weight-only", "--algorithm", "gptq");
        QuantizeCommandTests.AssertError(r, 2, "--algorithm gptq needs calibration data: give --calib-data SPEC");
        Assert.False(File.Exists(h.PathOf("q.onnx")));
    }

    [Fact]
    public void Quantize_UnknownAlgorithm_ListsTheKnownOnes()
    {
        var r = CliHarness.Run("quantize", ConvNet(), "--out", h.PathOf("q.onnx"), "--calib-data", "random:4", "--algorithm", "obq");
        QuantizeCommandTests.AssertError(r, 2, "unknown algorithm 'obq'; known: nearest, adaround, adaquant, brecq, gptq");
    }

    [Fact]
    public void Quantize_ActOrderWithoutGptq_UsageError()
    {
        var r = CliHarness.Run("quantize", ConvNet(), "--out", h.PathOf("q.onnx"), "--calib-data", "random:4", "--act-order");
        QuantizeCommandTests.AssertError(r, 2, "act-order is a GPTQ setting");
    }

    [Fact]
    public void Quantize_AnalyticBiasCorrectionInWeightOnlyMode_NeedsNoData()
    {
        string output = h.PathOf("q.onnx");
        var r = CliHarness.Run("quantize", ConvNet(), "--out", output, "--mode", "weight-only", "--weights", "int4",
            "--granularity", "per-channel", "--bias-correction", "analytic", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("analytic bias correction: conv1 is not fed by a BatchNormalization", r.Err);
        Assert.True(File.Exists(output));
    }
}
