using LowBit.Data;
using LowBit.Quantization;
using LowBit.Reports;
using LowBit.Tests.Quantization;
using static LowBit.Tests.Reports.ReportTestModels;

namespace LowBit.Tests.Reports;

public class LayerComparisonTests
{
    private static readonly LayerComparisonOptions Options = new() { Threads = 1, Attribution = true };

    private static (LayerComparisonResult Result, float ReluScale) CoarseRelu()
    {
        var f = FloatMlp();
        var batches = Batches(4);
        float scale = MaxOf(f, "r", batches) / 3;  // r gets 4 levels; every other tensor 8 bits
        return (LayerComparison.Run(f, HandQdq(f, scale), batches, Options), scale);
    }

    [Fact]
    public void Run_CoarseActivation_IsWorstQuantizedTensor()
    {
        var (r, scale) = CoarseRelu();
        var worst = r.Layers.First(l => l.Kind != "float");
        Assert.Equal("r", worst.Tensor);
        Assert.Equal("activation", worst.Kind);
        Assert.Equal("relu1", worst.Node);
        Assert.Equal("Relu", worst.OpType);
        Assert.True(worst.SqnrDb < 20, $"coarse r: {worst.SqnrDb} dB");
        // Before its own Q/DQ, r only carries the 8-bit errors of x and fc1.W (≈ 40 dB).
        Assert.True(worst.SqnrBeforeQuantizationDb > 30, $"upstream: {worst.SqnrBeforeQuantizationDb} dB");
        Assert.Equal("uint8", worst.Format!.Type);
        Assert.Equal(8, worst.Format.Bits);
        Assert.Equal("per-tensor", worst.Format.Granularity);
        Assert.Equal(scale, worst.Format.ScaleMin!.Value, 6);
        Assert.Equal(0, worst.Format.ClipMin!.Value);
        Assert.Equal(255 * scale, worst.Format.ClipMax!.Value, 3);
        Assert.True(worst.FloatMin >= 0 && worst.FloatMax > 0);  // a Relu output
        Assert.NotNull(worst.Histogram);
        Assert.Equal(4 * 16 * 16, worst.Histogram!.Counts.Sum());
        Assert.Equal(4 * 16 * 16, worst.Elements);
    }

    [Fact]
    public void Run_EightBitTensors_AreMatchedAndAccurate()
    {
        var (r, _) = CoarseRelu();
        var byName = r.Layers.ToDictionary(l => l.Tensor + "/" + l.Kind);
        // 8-bit per-tensor codes of Gaussian weights / uniform inputs: SQNR ≈ 6.02·8 − 10 dB ≈ 38 dB or more.
        foreach (var key in new[] { "x/activation", "fc1.W/weight", "fc2.W/weight" })
            Assert.True(byName[key].SqnrDb > 30, $"{key}: {byName[key].SqnrDb} dB");
        Assert.Equal("fc1", byName["fc1.W/weight"].Node);
        Assert.Equal("Gemm", byName["fc1.W/weight"].OpType);
        Assert.Equal("int8", byName["fc1.W/weight"].Format!.Type);
        Assert.Equal(128, byName["fc1.W/weight"].Elements);
        Assert.True(byName.ContainsKey("y/float"));  // output compared by name, error carried from upstream
        Assert.True(byName.ContainsKey("h/float"));
        Assert.Empty(r.Unmatched);
        Assert.Equal(64, r.Samples);
    }

    [Fact]
    public void Run_SortsWorstFirst()
    {
        var (r, _) = CoarseRelu();
        var sqnr = r.Layers.Select(l => l.SqnrDb).ToList();
        Assert.Equal(sqnr.OrderBy(v => v), sqnr);
    }

    [Fact]
    public void Run_Attribution_BlamesTheReaderOfTheCoarseTensor()
    {
        var (r, _) = CoarseRelu();
        Assert.NotNull(r.Attribution);
        var worst = r.Attribution![0];
        Assert.Equal("fc2", worst.Node);
        Assert.Contains("r_dq", worst.Tensors);
        Assert.True(worst.NoiseShare > 0.9, $"share {worst.NoiseShare}");
        Assert.Equal(["fc2"], r.KeepInHigherPrecision);
        Assert.True(r.OutputSqnrDb < worst.OutputSqnrDb + 0.5);  // all quantized is at least as bad as the worst alone
        Assert.DoesNotContain(r.Warnings, w => w.Contains("bypassed"));  // bypassing everything reproduced the float model
    }

    [Fact]
    public void Run_WithoutAttribution_LeavesItNull()
    {
        var f = FloatMlp();
        var r = LayerComparison.Run(f, HandQdq(f, 0.05f), Batches(1), new LayerComparisonOptions { Threads = 1, HistogramBins = 0 });
        Assert.Null(r.Attribution);
        Assert.Null(r.AttributionSamples);
        Assert.Null(r.AttributionOutputSqnrDb);
        Assert.Empty(r.KeepInHigherPrecision);
        Assert.All(r.Layers, l => Assert.Null(l.Histogram));
        Assert.NotNull(r.OutputSqnrDb);  // the output SQNR needs no attribution
    }

    [Fact]
    public void Run_OutputSqnr_CoversAllSamplesNotTheAttributionSubset()
    {
        // 4 batches of 16 compared, attribution on the first batch only. The headline output SQNR pools the same pairs
        // as the output's own row (y, compared by name), so the two agree to rounding (1e-9 dB); the attribution's
        // all-quantized figure is over 16 samples and is reported separately.
        var f = FloatMlp();
        var batches = Batches(4);
        var r = LayerComparison.Run(f, HandQdq(f, MaxOf(f, "r", batches) / 3), batches, Options with { AttributionBatches = 1 });
        var y = r.Layers.Single(l => l.Tensor == "y");
        Assert.Equal(y.SqnrDb, r.OutputSqnrDb!.Value, 9);
        Assert.Equal(16, r.AttributionSamples);
        Assert.NotNull(r.AttributionOutputSqnrDb);
        Assert.NotEqual(r.OutputSqnrDb.Value, r.AttributionOutputSqnrDb!.Value, 3);  // different samples, different figure
    }

    [Fact]
    public void Run_NaNInInput_NamesSampleInputAndElement()
    {
        // Batch 2 (samples 32..47), row 5, element 3: sample 37.
        var f = FloatMlp();
        var batches = Batches(3);
        batches[2]["x"].AsSpan<float>()[5 * 8 + 3] = float.NaN;
        var e = Assert.Throws<LowBitException>(() => LayerComparison.Run(f, HandQdq(f, 0.05f), batches, Options));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Equal("sample 37: input 'x' contains NaN (element 3); check the data or the model", e.Message);
    }

    [Fact]
    public void Run_FloatAgainstItself_HasNoQuantizedTensorsAndWarns()
    {
        var f = FloatMlp();
        var r = LayerComparison.Run(f, f, Batches(1), new LayerComparisonOptions { Threads = 1 });
        Assert.All(r.Layers, l => Assert.Equal("float", l.Kind));
        Assert.All(r.Layers, l => Assert.Equal(double.PositiveInfinity, l.SqnrDb));
        Assert.Contains(r.Warnings, w => w.Contains("no QuantizeLinear"));
    }

    [Fact]
    public void Run_QuantizerOutputWithFoldedBatchNorm_MatchesEveryTensor()
    {
        // The real quantizer folds bn1 into conv1 and quantizes biases as int32: preparing the float reference the
        // same way lines up names and folded weights, so every Q/DQ is matched and 8-bit weights stay above 25 dB
        // (against the unfolded conv1 weight they would not be comparable at all).
        var g = QuantTestModels.ConvNet();
        var data = QuantTestModels.RandomData(g, 6, batch: 2);
        var q = Quantizer.Quantize(g, new QuantizerConfig(), data);
        var r = LayerComparison.Run(g, q.Graph, data, new LayerComparisonOptions { Threads = 1, Attribution = true, AttributionBatches = 2 });
        Assert.Empty(r.Unmatched);
        Assert.Contains(r.Layers, l => l.Kind == "bias");
        var weights = r.Layers.Where(l => l.Kind == "weight").ToList();
        Assert.Equal(4, weights.Count);  // conv1, conv2, conv3, fc
        Assert.All(weights, w => Assert.True(w.SqnrDb > 25, $"{w.Tensor}: {w.SqnrDb} dB"));
        Assert.Contains(r.Layers, l => l.Kind == "activation" && l.Format!.Type == "uint8");
        Assert.DoesNotContain(r.Warnings, w => w.Contains("bypassed"));
        Assert.NotEmpty(r.KeepInHigherPrecision);
        Assert.InRange(r.Attribution!.Sum(a => a.NoiseShare), 0.999, 1.001);
    }

    [Fact]
    public void KeepInHigherPrecision_ExcludedFromQuantization_ImprovesOutputSqnr()
    {
        // The suggestions are node names the quantizer accepts, and excluding them must make the output better. It does
        // not always remove the half of the noise they were charged with: an excluded node's input stays quantized when
        // its producer quantizes its own output (here: excluding fc, flatten gained 0.12 dB; before symmetric scales
        // stopped clipping the positive maximum, fc's weights carried more of the noise and the gain was > 1 dB).
        var g = QuantTestModels.ConvNet();
        var data = QuantTestModels.RandomData(g, 6, batch: 2);
        var options = new LayerComparisonOptions { Threads = 1, Attribution = true, AttributionBatches = 6, HistogramBins = 0 };
        var first = LayerComparison.Run(g, Quantizer.Quantize(g, new QuantizerConfig(), data).Graph, data, options);
        var better = Quantizer.Quantize(g, new QuantizerConfig(excludeNodes: first.KeepInHigherPrecision), data);
        var second = LayerComparison.Run(g, better.Graph, data, options);
        Assert.True(second.OutputSqnrDb > first.OutputSqnrDb, $"{first.OutputSqnrDb:F2} dB → {second.OutputSqnrDb:F2} dB excluding {string.Join(", ", first.KeepInHigherPrecision)}");
    }

    [Fact]
    public void Run_WeightOnlyWithTransposedGemmWeights_ComparesInFloatLayout()
    {
        // Weight-only preparation stores Gemm B transposed under the same name; the float weight is transposed back
        // before comparing. int4 group-32 codes of Gaussian weights: ≈ 20 dB; compared in the wrong layout they would
        // be uncorrelated (≤ 0 dB).
        var g = QuantTestModels.Mlp();
        var q = Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly, weightOnlyKernel: WeightOnlyKernel.DequantizeLinear));
        var r = LayerComparison.Run(g, q.Graph, QuantTestModels.RandomData(g, 2), new LayerComparisonOptions { Threads = 1 });
        var weights = r.Layers.Where(l => l.Kind == "weight").ToList();
        Assert.Equal(3, weights.Count);
        Assert.All(weights, w => Assert.True(w.SqnrDb > 12, $"{w.Tensor}: {w.SqnrDb} dB"));
        Assert.All(weights, w => Assert.Equal(("int4", "per-group"), (w.Format!.Type, w.Format.Granularity)));
        Assert.Empty(r.Unmatched);
        Assert.DoesNotContain(r.Warnings, w => w.Contains("shape"));
    }

    [Fact]
    public void Run_Dataset_UsesTheSingleInput()
    {
        var f = FloatMlp();
        var reports = new List<EvalProgress>();
        var r = LayerComparison.Run(f, HandQdq(f, 0.1f), new RandomDataset(10, [8]), batchSize: 4, options: new LayerComparisonOptions { Threads = 1 },
            progress: new SyncProgress(reports.Add));
        Assert.Equal(10, r.Samples);
        Assert.Equal([4L, 8, 10], reports.Select(p => p.Done));
        Assert.All(reports, p => Assert.Equal(10, p.Total));
    }

    private sealed class SyncProgress(Action<EvalProgress> report) : IProgress<EvalProgress>
    {
        public void Report(EvalProgress value) => report(value);
    }
}
