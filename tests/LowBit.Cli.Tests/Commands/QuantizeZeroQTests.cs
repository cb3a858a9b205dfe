using LowBit.Nn;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>quantize --calib-data zeroq:N</c>: calibration inputs synthesized from the model's BatchNormalization statistics.</summary>
public class QuantizeZeroQTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    /// <summary>Conv-BN-Relu, GlobalAveragePool, Gemm on [N, 1, 8, 8] (seeded weights; running statistics 0 and 1).</summary>
    private string ConvBn()
    {
        var b = new GraphBuilder("convbn", 3);
        string x = b.Input("input", DType.Float32, 1, 8, 8);
        string r = b.Relu(b.BatchNorm(b.Conv(x, 1, 4, 3, name: "conv"), 4, "bn"), "relu");
        b.Output(b.Linear(b.Flatten(b.GlobalAveragePool(r, "gap"), 1, "flat"), 4, 3, "fc"), "y", DType.Float32, 3);
        return h.Save(b.Graph, "convbn.onnx");
    }

    [Fact]
    public void Quantize_ZeroQ_CalibratesOnSynthesizedSamplesAndRecordsSpec()
    {
        string output = h.PathOf("q.onnx");
        var r = CliHarness.Run("quantize", ConvBn(), "--out", output, "--calib-data", "zeroq:8,iterations=5", "--threads", "1", "--json", "--verbose");
        Assert.True(r.Code == 0, r.Err);
        var cal = r.Json().GetProperty("calibration");
        Assert.Equal(8, cal.GetProperty("samples").GetInt32());
        Assert.Equal("zeroq:8,iterations=5[0:8]", cal.GetProperty("data").GetString());
        Assert.Contains("lowbit: zeroq: batch 1/1 iteration 5/5 loss ", r.Err);
        Assert.Contains("\"dataSpec\": \"zeroq:8,iterations=5\"", File.ReadAllText(Path.ChangeExtension(output, null) + ".lowbit.json"));
    }

    [Fact]
    public void Eval_ModelCalibratedOnZeroQ_NoInputRangeWarning()
    {
        string output = h.PathOf("q.onnx"), model = ConvBn();
        Assert.Equal(0, CliHarness.Run("quantize", model, "--out", output, "--calib-data", "zeroq:8,iterations=5", "--threads", "1").Code);
        var r = CliHarness.Run("eval", output, "--reference", model, "--data", "random:8", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.DoesNotContain("was calibrated on", r.Err);
    }

    [Fact]
    public void Quantize_ZeroQOnModelWithoutBatchNorm_OneLineUsageError()
    {
        string model = h.Save(QuantModelsFixture.TinyMatMul(), "tiny.onnx");
        var r = CliHarness.Run("quantize", model, "--out", h.PathOf("q.onnx"), "--calib-data", "zeroq:16");
        QuantizeCommandTests.AssertError(r, 2, "--calib-data zeroq:16", "zeroq needs BatchNormalization layers; model tiny.onnx has none");
        Assert.False(File.Exists(h.PathOf("q.onnx")));
    }

    [Fact]
    public void Quantize_ZeroQUnknownOption_UsageError()
    {
        var r = CliHarness.Run("quantize", ConvBn(), "--out", h.PathOf("q.onnx"), "--calib-data", "zeroq:4,bogus=1");
        QuantizeCommandTests.AssertError(r, 2, "unknown option 'bogus' for zeroq");
    }

    [Fact]
    public void Eval_ZeroQData_SaysItNeedsTheModel()
    {
        var r = CliHarness.Run("eval", ConvBn(), "--dataset", "zeroq:16");
        QuantizeCommandTests.AssertError(r, 2, "zeroq needs the model");
    }
}
