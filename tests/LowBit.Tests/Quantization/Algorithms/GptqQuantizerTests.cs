using LowBit.Formats;
using LowBit.Nn;
using LowBit.Quantization;
using LowBit.Quantization.Algorithms;
using LowBit.Tensors;
using Xunit;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Algorithms;

/// <summary>GPTQ through <see cref="Quantizer.Quantize"/>: weight-only int4, calibration data with a few dominant input
/// directions (where second-order compensation pays), output against float, and ONNX Runtime running the export.</summary>
public class GptqQuantizerTests
{
    private sealed class Lines : IProgress<AlgorithmProgress>
    {
        public List<string> All { get; } = [];
        public void Report(AlgorithmProgress value) { lock (All) All.Add(value.Detail); }
    }

    /// <summary>Samples x = Z·A + 0.1·E per input (element-wise over the flattened non-batch shape), Z of rank 4.</summary>
    private static List<IReadOnlyDictionary<string, Tensor>> Correlated(Graph.Graph g, int count, int batch, int seed)
    {
        var rng = new Random(seed);
        double N() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var input = g.RealInputs.Single();
        int per = input.Shape!.Skip(1).Aggregate(1, (a, d) => a * (int)d.Value!.Value);
        var basis = new Random(99);
        var a = Enumerable.Range(0, 4 * per).Select(_ => Math.Sqrt(-2 * Math.Log(1 - basis.NextDouble())) * Math.Cos(2 * Math.PI * basis.NextDouble())).ToArray();
        var list = new List<IReadOnlyDictionary<string, Tensor>>();
        for (int s = 0; s < count; s++)
        {
            var v = new float[batch * per];
            for (int b = 0; b < batch; b++)
            {
                var z = new[] { N(), N(), N(), N() };
                for (int k = 0; k < per; k++) v[b * per + k] = (float)(0.1 * N() + z[0] * a[k] + z[1] * a[per + k] + z[2] * a[2 * per + k] + z[3] * a[3 * per + k]);
            }
            var shape = new[] { batch }.Concat(input.Shape!.Skip(1).Select(d => (int)d.Value!.Value)).ToArray();
            list.Add(new Dictionary<string, Tensor> { [input.Name] = Tensor.FromArray(v, shape) });
        }
        return list;
    }

    private static Graph.Graph Mlp()
    {
        var b = new GraphBuilder("mlp", 4);
        string x = b.Input("x", DType.Float32, 64);
        string h = b.Relu(b.Linear(x, 64, 128, "fc1"), "relu1");
        h = b.Relu(b.Linear(h, 128, 128, "fc2"), "relu2");
        b.Output(b.Linear(h, 128, 16, "fc3"), "y", DType.Float32, 16);
        return b.Graph;
    }

    /// <summary>Conv 4→16, depthwise 3×3 (group 16), Conv 16→32, pooled, Linear 32→10.</summary>
    private static Graph.Graph DepthwiseNet()
    {
        var b = new GraphBuilder("dw", 6);
        string x = b.Input("x", DType.Float32, 4, 10, 10);
        string h = b.Relu(b.Conv(x, 4, 16, 3, name: "conv1"), "relu1");
        h = b.Relu(b.Conv(h, 16, 16, 3, group: 16, name: "dw"), "relu2");
        h = b.Relu(b.Conv(h, 16, 32, 3, name: "conv3"), "relu3");
        string g = b.Flatten(b.GlobalAveragePool(h, "gap"), 1, "flatten");
        b.Output(b.Linear(g, 32, 10, "fc"), "y", DType.Float32, 10);
        return b.Graph;
    }

    private static (QuantizedModel Q, Lines Lines) Run(Graph.Graph g, WeightQuantConfig w, AlgorithmConfig a, List<IReadOnlyDictionary<string, Tensor>> calib)
    {
        var lines = new Lines();
        var q = Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly, w, algorithm: a), calib,
            calibrationOptions: new CalibrationOptions { AlgorithmProgress = lines });
        return (q, lines);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Quantize_MlpInt4Group32_CloserToFloatThanNearestAndRunsInOrt(bool actOrder)
    {
        var g = Mlp();
        var calib = Correlated(g, 16, 16, seed: 1);
        var test = Correlated(g, 4, 16, seed: 2);
        var w = new WeightQuantConfig(FormatTable.Get("int4"), new WeightGranularity.Group(32));
        var rtn = Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly, w));
        var (gptq, lines) = Run(g, w, new AlgorithmConfig(WeightAlgorithm.Gptq, actOrder: actOrder), calib);
        double eRtn = SquaredErrorRatio(g, rtn.Graph, test), eGptq = SquaredErrorRatio(g, gptq.Graph, test);
        // Held-out data from the calibration distribution: GPTQ should remove well over a quarter of the error.
        Assert.True(eGptq < 0.75 * eRtn, $"gptq {eGptq:G4} vs nearest {eRtn:G4}");
        Assert.Contains(lines.All, l => l.Contains("gptq: " + (actOrder ? "act-order, " : "") + "damp 0.01, block 128"));

        var x = test[0];
        var mine = RunLowBit(gptq.Graph, x);
        var ort = RunOrt(gptq.Graph, x);
        // ORT may fuse DQ→MatMul into MatMulNBits (int8 activations per block, ~2⁻⁸ relative per product): allow 40 % of
        // the quantization error plus 2 % of the output range, as the zoo weight-only tests do.
        float quant = MaxAbsDiff(mine, RunLowBit(g, x));
        Assert.True(MaxAbsDiff(mine, ort) <= 0.4f * quant + 0.02f * MaxAbs(mine), $"ORT {MaxAbsDiff(mine, ort)} vs quantization error {quant}");
    }

    [Fact]
    public void Quantize_DepthwiseConvPerChannel_EveryLayerAtMostNearestAndRunsInOrt()
    {
        var g = DepthwiseNet();
        var calib = Correlated(g, 8, 8, seed: 3);
        var test = Correlated(g, 4, 8, seed: 4);
        var w = new WeightQuantConfig(FormatTable.Get("int4"), new WeightGranularity.PerChannel());
        var rtn = Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly, w));
        var (gptq, lines) = Run(g, w, new AlgorithmConfig(WeightAlgorithm.Gptq), calib);
        // Per-layer output error "a → b" in the final progress line of each layer: GPTQ must not lose to nearest on its
        // own objective by more than float noise (depthwise: 9 columns per group, little to compensate).
        var finals = lines.All.Where(l => l.Contains("output error")).ToList();
        Assert.Equal(4, finals.Count);
        Assert.Contains(finals, l => l.Contains("16 groups"));
        foreach (var l in finals)
        {
            var parts = l[(l.LastIndexOf("output error ", StringComparison.Ordinal) + 13)..].Split(" → ");
            double before = double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            double after = double.Parse(parts[1].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(after <= before * 1.02 + 1e-9, l);
        }
        Assert.True(SquaredErrorRatio(g, gptq.Graph, test) < SquaredErrorRatio(g, rtn.Graph, test));
        var x = test[0];
        var mine = RunLowBit(gptq.Graph, x);
        float quant = MaxAbsDiff(mine, RunLowBit(g, x));
        Assert.True(MaxAbsDiff(mine, RunOrt(gptq.Graph, x)) <= 0.4f * quant + 0.02f * MaxAbs(mine));
    }
}
