using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Quantization.Prepare;
using LowBit.Quantization.Search;
using LowBit.Reports;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization.Search;

/// <summary>Latency budgets: allocation under a per-layer latency table (against brute force), and the one-node models
/// the table is timed on (against the whole model's values).</summary>
public class LatencyBudgetTests
{
    private static readonly Graph.Graph Model = QuantTestModels.ConvNet();
    private static readonly List<IReadOnlyDictionary<string, Tensor>> Calib = QuantTestModels.RandomData(Model, 8, batch: 1, seed: 3);
    private static readonly QuantizerConfig Base = new(QuantMode.Static, WeightQuantConfig.Int8PerChannel);
    private static readonly string[] Nodes = ["conv1", "conv2", "conv3", "fc"];

    private static readonly Lazy<SensitivityTable> Table = new(() =>
        LayerSensitivity.Measure(Model, Base, FormatChoice.All(Base, ["int8", "int4", "float"], null), Calib,
            QuantTestModels.RandomData(Model, 2, batch: 8, seed: 5).Select(d => new EvalBatch(d, null)).ToList()));

    /// <summary>float 1 ms, int8 0.4 ms, int4 2 ms per layer (int4 dequantizes: slower than float); the float model 5 ms, so
    /// 1 ms is spent outside the weighted layers.</summary>
    private static LatencyTable Latency() => new(Nodes.ToDictionary(n => n, IReadOnlyDictionary<string, double> (_) =>
        new Dictionary<string, double> { ["float"] = 1.0, ["int8"] = 0.4, ["int4"] = 2.0 }), 5.0, "test", 1, 1);

    [Fact]
    public void LatencyTable_EstimateIsFixedTimePlusEachLayersTime()
    {
        var lat = Latency();
        Assert.Equal(1.0, lat.FixedMs, 12);
        Assert.Equal(1.0 + 0.4 + 1 + 2 + 0.4, lat.Estimate(new Dictionary<string, string> { ["conv1"] = "int8", ["conv2"] = "float", ["conv3"] = "int4", ["fc"] = "int8" }), 12);
        Assert.Equal(ErrorKind.Usage, Assert.Throws<LowBitException>(() => lat.Of("conv1", "nf4")).Kind);
    }

    [Fact]
    public void Calibrate_UniformEstimatesEqualTheMeasuredUniformModels_FloatUnchanged()
    {
        var lat = Latency().Calibrate(new Dictionary<string, double> { ["int8"] = 2.2, ["int4"] = 12.0, ["float"] = 99 });
        Dictionary<string, string> All(string f) => Nodes.ToDictionary(n => n, _ => f);
        Assert.Equal(2.2, lat.Estimate(All("int8")), 12);    // k = (2.2 − 1) / 1.6 = 0.75
        Assert.Equal(12.0, lat.Estimate(All("int4")), 12);
        Assert.Equal(5.0, lat.Estimate(All("float")), 12);   // float defines the fixed part: never rescaled
        Assert.Equal(0.3, lat.Of("conv1", "int8"), 12);
        // A uniform model faster than the fixed part alone: the factor stays positive (0.05).
        Assert.Equal(0.4 * 0.05, Latency().Calibrate(new Dictionary<string, double> { ["int8"] = 0.5 }).Of("fc", "int8"), 12);
        // One-node float times adding up to more than the float model (4 × 1 ms > 3 ms): no fixed part, float scaled to 3 ms.
        var slow = (Latency() with { FloatMs = 3 }).Calibrate(new Dictionary<string, double>());
        Assert.Equal(0, slow.FixedMs);
        Assert.Equal(3.0, slow.Estimate(All("float")), 12);
    }

    [Fact]
    public void AllocateLatency_EqualsBruteForce_AndMeetsTheBudget()
    {
        var t = Table.Value;
        var lat = Latency();
        foreach (double budget in new[] { 2.6, 3.0, 3.4, 4.0, 5.0, 9.0 })
        {
            var plan = MixedPrecision.AllocateLatency(t, SensitivityMethod.Sqnr, lat, budget);
            Assert.True(lat.Estimate(plan.Formats) <= budget + 1e-9, $"budget {budget}: estimate {lat.Estimate(plan.Formats)}");
            double best = double.PositiveInfinity;
            string[] formats = ["int8", "int4", "float"];
            for (int code = 0; code < 81; code++)
            {
                var assign = Nodes.Select((n, i) => (n, formats[code / (int)Math.Pow(3, i) % 3])).ToDictionary(x => x.n, x => x.Item2);
                if (lat.Estimate(assign) > budget + 1e-9) continue;
                best = Math.Min(best, assign.Sum(kv => t.Row(kv.Key, kv.Value)!.Score(SensitivityMethod.Sqnr)!.Value));
            }
            Assert.Equal(best, plan.EstimatedLoss, 9);
            Assert.DoesNotContain("int4", plan.Formats.Values);   // slower and worse than int8: never chosen
        }
        // 3.4 ms: fixed 1 + layers 2.4 → one float layer at most (1 + 3·0.4 = 2.2), the most sensitive one at int8.
        var one = MixedPrecision.AllocateLatency(t, SensitivityMethod.Sqnr, lat, 3.4);
        string worst = Nodes.MaxBy(n => t.Row(n, "int8")!.Noise)!;
        Assert.Equal("float", one.Formats[worst]);
        Assert.Single(one.Formats.Values, "float");
        Assert.Equal(MixedPrecision.FixedBytes(t) + one.Formats.Sum(kv => t.Row(kv.Key, kv.Value)!.Bytes), one.EstimatedBytes);
    }

    [Fact]
    public void AllocateLatency_BelowTheFastestPlan_ThrowsUsage()
    {
        var e = Assert.Throws<LowBitException>(() => MixedPrecision.AllocateLatency(Table.Value, SensitivityMethod.Sqnr, Latency(), 2.5));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("smallest reachable estimate, 2.6 ms", e.Message);
    }

    [Fact]
    public void Front_UnderLatency_EstimatedLatencyRisesAndLossFalls()
    {
        var lat = Latency();
        var front = MixedPrecision.Front(Table.Value, SensitivityMethod.Sqnr, 6, latency: lat);
        Assert.True(front.Count >= 3);
        Assert.All(front[0].Formats.Values, f => Assert.Equal("int8", f));   // the fastest plan
        for (int i = 1; i < front.Count; i++)
        {
            Assert.True(lat.Estimate(front[i].Formats) > lat.Estimate(front[i - 1].Formats));
            Assert.True(front[i].EstimatedLoss < front[i - 1].EstimatedLoss);
        }
    }

    [Fact]
    public void NodeModels_EachReproducesItsNodesValueInTheWholeModel()
    {
        var prepared = GraphPreparation.Run(Model).Graph;
        var models = NodeModels.Of(prepared, Calib[0], Nodes, threads: 1);
        Assert.Equal(Nodes, models.Select(m => m.Key));
        var session = new Session(prepared);
        foreach (var m in models)
        {
            string output = m.Model.Outputs[0].Name;
            var expected = session.Run(Calib[0], [output])[output];
            var actual = new Session(m.Model).Run(m.Inputs)[output];
            TensorAssert.Close(expected, actual, 1e-6, 1e-6);   // the same kernels on the same inputs
        }
        // conv1 (BatchNorm folded) and conv2 are followed by their Relu, which engines fuse; conv3 feeds an Add, fc the output.
        Assert.Equal(["Conv", "Relu"], models[0].Model.Nodes.Select(n => n.OpType));
        Assert.Equal(["Conv", "Relu"], models[1].Model.Nodes.Select(n => n.OpType));
        Assert.Equal(["Conv"], models[2].Model.Nodes.Select(n => n.OpType));
        Assert.Equal(["Gemm"], models[3].Model.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Interior_TakesIntegerInputsAndGivesIntegerOutputs_WithinOneStepOfTheQdqModel()
    {
        var prepared = GraphPreparation.Run(Model).Graph;
        var m = NodeModels.Of(prepared, Calib[0], ["conv2"], threads: 1)[0];
        var q = Quantizer.Quantize(m.Model, Base, [m.Inputs]).Graph;
        var (interior, inputs) = NodeModels.Interior(q, m.Inputs, threads: 1);
        Assert.Equal(DType.UInt8, Assert.Single(interior.RealInputs).DType);
        Assert.Equal(DType.UInt8, inputs.Values.Single().DType);
        Assert.DoesNotContain(interior.Nodes, n => n.OpType == "QuantizeLinear" && n.Inputs[0] == interior.RealInputs.Single().Name);
        var qOut = interior.Nodes.Single(n => n.OpType == "QuantizeLinear");
        float scale = interior.Initializers[qOut.Inputs[1]].AsSpan<float>()[0];
        byte zero = interior.Initializers[qOut.Inputs[2]].AsSpan<byte>()[0];
        var expected = new Session(q).Run(m.Inputs)[q.Outputs[0].Name].ToFloatArray();
        // ONNX Runtime runs it (the engine the table is timed in); its codes decode to the QDQ model's output.
        using var ort = OrtRunner.FromGraph(interior, threads: 1);
        var codes = ort.Run(inputs).Values.Single();
        Assert.Equal(DType.UInt8, codes.DType);
        var c = codes.AsSpan<byte>();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(scale * (c[i] - zero) - expected[i]) <= scale * 0.5 + 1e-5, $"element {i}: {scale * (c[i] - zero)} vs {expected[i]}");
    }
}
