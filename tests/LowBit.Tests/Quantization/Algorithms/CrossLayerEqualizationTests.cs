using LowBit.Nn;
using LowBit.Quantization;
using LowBit.Quantization.Algorithms;
using LowBit.Quantization.Prepare;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Algorithms;

public class CrossLayerEqualizationTests
{
    /// <summary>
    /// conv1 (3→8) → Relu → conv2 (8→8) → Relu → depthwise conv3 → Gemm head, with conv1's output channel i multiplied by
    /// fᵢ (1/50 … 50) and conv2's input channel i divided by fᵢ: the same function (ReLU is positive homogeneous), but
    /// per-tensor weight grids now waste most of their codes on a few channels: the case CLE repairs.
    /// </summary>
    private static Graph.Graph Imbalanced()
    {
        var b = new GraphBuilder("imbalanced", 5);
        string x = b.Input("x", DType.Float32, 3, 10, 10);
        string h = b.Relu(b.Conv(x, 3, 8, 3, name: "conv1"), "relu1");
        h = b.Relu(b.Conv(h, 8, 8, 3, name: "conv2"), "relu2");
        h = b.Conv(h, 8, 8, 3, group: 8, name: "conv3");
        string g = b.Flatten(b.GlobalAveragePool(h, "gap"), 1, "flatten");
        b.Output(b.Linear(g, 8, 4, "fc"), "y", DType.Float32, 4);
        var graph = b.Graph;
        var c1 = graph.Nodes.Single(n => n.Name == "conv1");
        var c2 = graph.Nodes.Single(n => n.Name == "conv2");
        var w1 = graph.Initializers[c1.Inputs[1]].AsSpan<float>();
        var b1 = graph.Initializers[c1.Inputs[2]].AsSpan<float>();
        var w2 = graph.Initializers[c2.Inputs[1]].AsSpan<float>();
        for (int i = 0; i < 8; i++)
        {
            float f = MathF.Pow(50, (i - 3.5f) / 3.5f);
            for (int k = 0; k < 27; k++) w1[i * 27 + k] *= f;
            b1[i] *= f;
            for (int o = 0; o < 8; o++)
                for (int k = 0; k < 9; k++) w2[(o * 8 + i) * 9 + k] /= f;
        }
        return graph;
    }

    [Fact]
    public void Apply_ImbalancedConvChain_SameFunctionAndEqualRanges()
    {
        var g = Imbalanced();
        var (eq, report) = GraphPreparation.Run(g, equalize: true);
        Assert.Equal(2, report.PairsEqualized);  // conv1→conv2, conv2→depthwise conv3 (through Relu); conv3 reaches fc only through pooling
        var x = RandomData(g, 1, seed: 3)[0];
        var before = RunLowBit(g, x);
        var after = RunLowBit(eq, x);
        // float32 rounding of rescaled weights only: relative 1e-4 of the output range
        Assert.True(MaxAbsDiff(before, after) <= 1e-4f * MaxAbs(before), $"{MaxAbsDiff(before, after)}");
        var w1 = eq.Initializers[eq.Nodes.Single(n => n.Name == "conv1").Inputs[1]].AsSpan<float>();
        var w2 = eq.Initializers[eq.Nodes.Single(n => n.Name == "conv2").Inputs[1]].AsSpan<float>();
        for (int i = 0; i < 8; i++)
        {
            float r1 = 0, r2 = 0;
            for (int k = 0; k < 27; k++) r1 = MathF.Max(r1, MathF.Abs(w1[i * 27 + k]));
            for (int o = 0; o < 8; o++)
                for (int k = 0; k < 9; k++) r2 = MathF.Max(r2, MathF.Abs(w2[(o * 8 + i) * 9 + k]));
            // conv2 is also in the pair with conv3, so the sweep converges to within its 0.1 % stopping rule, not exactly
            Assert.InRange(r1 / r2, 0.97f, 1.03f);
        }
    }

    [Fact]
    public void Apply_GemmChain_TransposedAndPlainWeights_SameFunction()
    {
        var g = Mlp();
        var original = g.Initializers.ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());
        var (eq, report) = GraphPreparation.Run(g, equalize: true);
        Assert.Equal(2, report.PairsEqualized);
        foreach (var (name, values) in original) Assert.Equal(values, g.Initializers[name].ToFloatArray());   // the caller's model is untouched
        var x = RandomData(g, 1, seed: 4)[0];
        var before = RunLowBit(g, x);
        Assert.True(MaxAbsDiff(before, RunLowBit(eq, x)) <= 1e-4f * MaxAbs(before));
    }

    [Fact]
    public void Quantize_PerTensorInt8OnImbalancedModel_CleReducesOutputError()
    {
        var g = Imbalanced();
        var data = RandomData(g, 4, seed: 11);
        var x = RandomData(g, 1, seed: 12)[0];
        var reference = RunLowBit(g, x);
        float Error(bool cle)
        {
            var config = new QuantizerConfig(QuantMode.Static, new WeightQuantConfig(granularity: new WeightGranularity.PerTensor()),
                reduceRange: false, crossLayerEqualization: cle);
            var q = Quantizer.Quantize(g, config, data);
            Assert.Equal(cle, q.Manifest.Config.CrossLayerEqualization);
            return MaxAbsDiff(reference, RunLowBit(q.Graph, x));
        }
        float nearest = Error(false), equalized = Error(true);
        Assert.True(equalized < 0.5f * nearest, $"CLE {equalized} vs without {nearest}");
    }
}
