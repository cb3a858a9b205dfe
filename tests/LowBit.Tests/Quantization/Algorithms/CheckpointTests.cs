using LowBit.Formats;
using LowBit.Nn;
using LowBit.Quantization;
using LowBit.Quantization.Algorithms.Layers;
using LowBit.Tensors;
using Xunit;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Algorithms;

/// <summary>Layer-wise algorithms run later layers from stored block inputs (QuantSimulation.Advance): the chosen codes,
/// biases and per-layer errors must be exactly those of full runs from the model inputs.</summary>
[Collection(nameof(CheckpointTests))]  // toggles a static switch; other tests are unaffected (same results either way)
public class CheckpointTests
{
    /// <summary>conv1 → relu → [conv2 → relu → conv3 → Add] → relu → conv4 → relu → GAP → fc, on [N, 4, 10, 10]:
    /// chain cuts and one residual block.</summary>
    private static Graph.Graph Net()
    {
        var b = new GraphBuilder("ckpt", 21);
        string x = b.Input("x", DType.Float32, 4, 10, 10);
        string h = b.Relu(b.Conv(x, 4, 8, 3, name: "conv1"), "relu1");
        string r = b.Relu(b.Conv(h, 8, 8, 3, name: "conv2"), "relu2");
        r = b.Conv(r, 8, 8, 3, name: "conv3");
        h = b.Relu(b.Add(r, h, "add"), "relu3");
        h = b.Relu(b.Conv(h, 8, 16, 3, name: "conv4"), "relu4");
        string g = b.Flatten(b.GlobalAveragePool(h, "gap"), 1, "flatten");
        b.Output(b.Linear(g, 16, 10, "fc"), "y", DType.Float32, 10);
        return b.Graph;
    }

    private static QuantizedModel Quantize(Graph.Graph g, AlgorithmConfig a, QuantMode mode, bool checkpoints)
    {
        var calib = RandomData(g, 6, batch: 3, seed: 2);
        QuantSimulation.UseCheckpoints = checkpoints;
        try
        {
            var w = new WeightQuantConfig(FormatTable.Get("int3"), new WeightGranularity.PerChannel());
            return Quantizer.Quantize(g, new QuantizerConfig(mode, w, weightOnlyKernel: WeightOnlyKernel.DequantizeLinear, algorithm: a), calib);
        }
        finally { QuantSimulation.UseCheckpoints = true; }
    }

    public static TheoryData<string, bool> Cases() => new()
    {
        { "gptq", false }, { "gptq", true }, { "adaround", true }, { "adaquant", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Quantize_WithCheckpoints_SameCodesBiasesAndErrorsAsFullRuns(string algorithm, bool transformer)
    {
        var g = transformer ? TransformerBlock() : Net();
        var a = new AlgorithmConfig(ConfigNames.ParseAlgorithm(algorithm), iterations: 20, biasCorrection: algorithm == "gptq" && !transformer ? BiasCorrectionKind.Empirical : BiasCorrectionKind.None);
        var mode = transformer ? QuantMode.WeightOnly : QuantMode.Static;
        int before = QuantSimulation.RunsFromCheckpoint;
        var fast = Quantize(g, a, mode, checkpoints: true);
        Assert.True(QuantSimulation.RunsFromCheckpoint > before, "no capture ran from a stored block input");
        var plain = Quantize(g, a, mode, checkpoints: false);
        Assert.True(LowBit.Onnx.OnnxExporter.ToBytes(plain.Graph).AsSpan().SequenceEqual(LowBit.Onnx.OnnxExporter.ToBytes(fast.Graph)), $"{algorithm}: the exported files differ");
        var errors = plain.Manifest.Tensors.Where(t => t.Algorithm is not null).Select(t => (t.Name, t.Algorithm!.ErrorNearest, t.Algorithm.ErrorAlgorithm)).ToList();
        Assert.NotEmpty(errors);
        Assert.Equal(errors, fast.Manifest.Tensors.Where(t => t.Algorithm is not null).Select(t => (t.Name, t.Algorithm!.ErrorNearest, t.Algorithm.ErrorAlgorithm)));
    }
}
