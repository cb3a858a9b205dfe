using System.Text.Json;
using LowBit.OnnxRuntime;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Commands;

/// <summary>Weights in lookup formats (packed codes + table, Quantization/Qdq/LookupWeights.cs) through the CLI: the
/// file is written, ONNX Runtime loads and runs it, and the layer comparison of a lookup file does not fail.</summary>
public class QuantizeLookupTests(QuantModelsFixture models) : IClassFixture<QuantModelsFixture>, IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    [Fact]
    public void Quantize_Nf4WeightsNoActivations_WritesFileOrtRunsIt()
    {
        string output = h.PathOf("nf4.onnx");
        var r = CliHarness.Run("quantize", models.Float, "--out", output, "--weights", "nf4", "--activations", "none", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.StartsWith("nf4", j.GetProperty("weights").GetString());
        // 4-bit codes: the file is about 1/8 of the float one, plus scales, tables and unpack helpers.
        Assert.InRange(j.GetProperty("size").GetProperty("ratio").GetDouble(), 0.1, 0.25);
        using var ort = OrtRunner.FromFile(output, 1);
        var y = ort.Run(new Dictionary<string, Tensor> { ["input"] = Tensor.Zeros(DType.Float32, 2, 1, 28, 28) })["logits"];
        Assert.Equal([2, 10], y.Shape);
        Assert.All(y.ToFloatArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Compare_LookupWeightsFile_RunsAndListsLayers()
    {
        string output = h.PathOf("binary.onnx");
        var q = CliHarness.Run("quantize", models.Float, "--out", output, "--weights", "binary", "--activations", "none", "--threads", "1");
        Assert.True(q.Code == 0, q.Err);
        var r = CliHarness.Run("compare", models.Float, output, "--data", "fashion-mnist-1k", "--samples", "8", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var layers = r.Json().GetProperty("layers").EnumerateArray().ToList();
        Assert.NotEmpty(layers);
        // The lookup weights are matched with the float weights and reported in their format.
        Assert.Contains(layers, l => l.GetProperty("kind").GetString() == "weight" && l.GetProperty("format").GetString()!.StartsWith("binary"));
    }
}
