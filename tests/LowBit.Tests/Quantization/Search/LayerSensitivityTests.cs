using LowBit.Quantization;
using LowBit.Quantization.Search;
using LowBit.Reports;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization.Search;

/// <summary>Single-layer sensitivity and bit allocation on the ConvNet test model (seeded weights, random data).</summary>
public class LayerSensitivityTests
{
    private static readonly Graph.Graph Model = QuantTestModels.ConvNet();
    private static readonly List<IReadOnlyDictionary<string, Tensor>> Calib = QuantTestModels.RandomData(Model, 8, batch: 1, seed: 3);
    private static readonly QuantizerConfig Base = new(QuantMode.Static, WeightQuantConfig.Int8PerChannel);

    private static List<EvalBatch> Batches(bool labels)
    {
        var data = QuantTestModels.RandomData(Model, 4, batch: 8, seed: 5);
        return data.Select((d, i) => new EvalBatch(d, labels ? Tensor.FromArray(Enumerable.Range(0, 8).Select(k => (long)((k + i) % 10)).ToArray(), 8) : null)).ToList();
    }

    private static readonly Lazy<SensitivityTable> Table = new(() =>
        LayerSensitivity.Measure(Model, Base, FormatChoice.All(Base, ["int8", "int4", "float"], null), Calib, Batches(labels: true)));

    [Fact]
    public void Measure_SingleLayerSqnr_EqualsTheModelWithOnlyThatNodeQuantized()
    {
        // Oracle: quantize with every other node kept float by the recipe and compare the outputs directly. The isolation
        // hook bypasses the other Q/DQ values inside one quantized graph; both see the same calibrated parameters. They may
        // differ where Q/DQ placement depends on the neighbours (a MaxPool between two quantized nodes passes codes
        // through): 0.25 dB allows that, a wrong bypass costs several dB.
        var batches = Batches(labels: false);
        var int4 = FormatChoice.All(Base, ["int4"], null);
        var table = LayerSensitivity.Measure(Model, Base, int4, Calib, batches);
        foreach (var node in new[] { "conv2", "fc" })
        {
            var others = Model.Nodes.Select(n => n.DisplayName).Where(n => n != node && !n.StartsWith("bn", StringComparison.Ordinal))
                .ToDictionary(n => n, _ => NodeOverride.Float);
            var config = Base.With(int4["int4"].Weights, new QuantRecipe(others));
            var q = Quantizer.Quantize(Model, config, Calib);
            var stats = new LowBit.Reports.Metrics.ErrorStats();
            foreach (var b in batches)
                stats.Add(QuantTestModels.RunLowBit(Model, b.Inputs).AsReadOnlySpan<float>(), QuantTestModels.RunLowBit(q.Graph, b.Inputs).AsReadOnlySpan<float>());
            double measured = table.Row(node, "int4")!.SqnrDb;
            Assert.True(Math.Abs(stats.Sqnr - measured) < 0.25, $"{node}: isolation {measured:F3} dB, recipe {stats.Sqnr:F3} dB");
        }
    }

    [Fact]
    public void Measure_FewerBitsCostLessAndHurtMore()
    {
        var t = Table.Value;
        foreach (var node in new[] { "conv1", "conv2", "conv3", "fc" })
        {
            var (i8, i4, f) = (t.Row(node, "int8")!, t.Row(node, "int4")!, t.Row(node, "float")!);
            Assert.True(i4.Bytes < i8.Bytes && i8.Bytes < f.Bytes, $"{node}: {i4.Bytes} / {i8.Bytes} / {f.Bytes} bytes");
            Assert.True(i4.Noise > i8.Noise && i8.Noise > 0 && f.Noise == 0, $"{node}: noise {i4.Noise} / {i8.Noise}");
            Assert.True(i4.Kl > i8.Kl);
            Assert.NotNull(i4.Top1Drop);
            // int8 codes: one byte per weight plus per-channel scales and zero points, and the int32 bias.
            Assert.InRange(i8.Bytes, i8.Parameters, i8.Parameters + 64 * 13);
        }
        Assert.True(t.Classifier && t.Labelled);
    }

    [Fact]
    public void Allocate_ExportedFileMatchesTheEstimate_AndEachNodeGetsItsFormat()
    {
        var t = Table.Value;
        var choices = FormatChoice.All(Base, ["int8", "int4", "float"], null);
        long all8 = t.Uniform.Single(u => u.Format == "int8").Bytes, all4 = t.Uniform.Single(u => u.Format == "int4").Bytes;
        var plan = MixedPrecision.Allocate(t, SensitivityMethod.Kl, (all8 + all4) / 2);
        Assert.True(plan.Optimal);
        Assert.Contains("int8", plan.Formats.Values);
        Assert.Contains("int4", plan.Formats.Values);
        var recipe = MixedPrecision.Recipe(plan, choices);
        Assert.Equal(recipe, QuantRecipe.Parse(recipe.ToJson()));
        var q = Quantizer.Quantize(Model, Base.With(recipe: recipe), Calib);
        long bytes = LowBit.Onnx.OnnxExporter.ToBytes(q.Graph).LongLength;
        // The estimate is the uniform files' fixed part plus per-node bytes: off by per-node graph structure only.
        Assert.True(Math.Abs(bytes - plan.EstimatedBytes) < 0.03 * plan.EstimatedBytes, $"file {bytes} bytes, estimated {plan.EstimatedBytes}");
        foreach (var (node, format) in plan.Formats)
        {
            var weight = q.Manifest.Tensors.FirstOrDefault(x => x.Kind == "weight" && x.Nodes.Contains(node));
            Assert.Equal(format == "float" ? null : format, weight?.Format);
        }
    }

    [Fact]
    public void Front_CostRisesAndEstimatedLossFalls()
    {
        var front = MixedPrecision.Front(Table.Value, SensitivityMethod.Sqnr, 6);
        Assert.True(front.Count >= 3);
        for (int i = 1; i < front.Count; i++)
        {
            Assert.True(front[i].EstimatedBytes > front[i - 1].EstimatedBytes);
            Assert.True(front[i].EstimatedLoss < front[i - 1].EstimatedLoss);
        }
        Assert.All(front[0].Formats.Values, f => Assert.Equal("int4", f));
    }

    [Fact]
    public void Measure_Pairs_JointNoiseOfNeighboursIsRoughlyTheSumOfTheirs()
    {
        var t = LayerSensitivity.Measure(Model, Base, FormatChoice.All(Base, ["int4"], null), Calib, Batches(labels: false),
            new SensitivityOptions { Pairs = true });
        Assert.Equal([("conv1", "conv2"), ("conv2", "conv3"), ("conv3", "fc")], t.Pairs.Select(p => (p.First, p.Second)));
        foreach (var p in t.Pairs)
        {
            double a = t.Row(p.First, "int4")!.Noise, b = t.Row(p.Second, "int4")!.Noise;
            Assert.Equal(a + b, p.SumOfSingles, 12);
            // Independent errors add; neighbours correlate somewhat, but not by a factor of 3 either way.
            Assert.InRange(p.Noise / p.SumOfSingles, 1 / 3.0, 3);
            Assert.True(p.Noise > Math.Max(a, b) * 0.9, $"{p.First}+{p.Second}: joint {p.Noise}, singles {a}, {b}");
        }
    }

    [Fact]
    public void Measure_MacsAndBops_FollowTheLayerShapes()
    {
        var t = Table.Value;
        Assert.Equal(16 * 10, t.Row("fc", "int8")!.Macs);  // Gemm 16 → 10
        long conv1 = t.Row("conv1", "int8")!.Macs;
        Assert.True(conv1 > 0 && conv1 % (3 * 3 * 3) == 0 && conv1 % 8 == 0, $"conv1 MACs {conv1}");
        Assert.Equal(conv1 * 4.0 * 8, t.Row("conv1", "int4")!.Bops);   // int4 weights × uint8 activations
        Assert.Equal(conv1 * 32.0 * 32, t.Row("conv1", "float")!.Bops);
        var plan = MixedPrecision.AllocateBops(t, SensitivityMethod.Kl, 0.05 * MixedPrecision.FloatBops(t));
        Assert.True(MixedPrecision.Bops(t, plan) <= 0.05 * MixedPrecision.FloatBops(t) * (1 + 1e-12));
        Assert.Contains("int8", plan.Formats.Values);   // 8·8/32² = 0.0625 > 0.05: not everything fits at int8
        Assert.Contains("int4", plan.Formats.Values);
    }

    [Fact]
    public void Allocate_BudgetBelowTheSmallestFile_ThrowsUsage()
    {
        var e = Assert.Throws<LowBitException>(() => MixedPrecision.Allocate(Table.Value, SensitivityMethod.Kl, 100));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("smallest reachable", e.Message);
    }
}
