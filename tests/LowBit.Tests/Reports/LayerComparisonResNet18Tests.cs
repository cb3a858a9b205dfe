using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Reports;
using LowBit.Tensors;
using LowBit.Tests.Onnx;

namespace LowBit.Tests.Reports;

/// <summary>Layer comparison on the real CNTK ResNet18 (legacy BatchNormalization folded by the quantizer).</summary>
public class LayerComparisonResNet18Tests
{
    [ResNet18Fact]
    public void Run_QuantizedResNet18_MatchesEveryTensorAndFoldedWeight()
    {
        var g = OnnxImporter.Load(RealModels.ResNet18);
        var rng = new Random(2);
        List<IReadOnlyDictionary<string, Tensor>> Data(int n) => Enumerable.Range(0, n).Select(_ =>
        {
            var d = new float[3 * 224 * 224];
            for (int i = 0; i < d.Length; i++) d[i] = (float)(rng.NextDouble() * 200 - 100);  // the mean-subtracted 0..255 range
            return (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { ["Input247"] = Tensor.FromArray(d, 1, 3, 224, 224) };
        }).ToList();
        // Full 8-bit weights on every CPU: on one without VNNI the CPU rule would narrow them to 7 bits (≈ 6 dB less).
        var q = Quantizer.Quantize(g, new QuantizerConfig(reduceRange: false), Data(2));
        var r = LayerComparison.Run(g, q.Graph, Data(2), new LayerComparisonOptions { HistogramBins = 64 });
        Assert.Empty(r.Unmatched);
        var weights = r.Layers.Where(l => l.Kind == "weight").ToList();
        Assert.Equal(g.Nodes.Count(n => n.OpType == "Conv"), weights.Count);  // every Conv weight, matched after folding
        // int8 per-channel weights of real (BN-folded) filters: ≥ 30 dB. Compared against the unfolded CNTK weights
        // they would be off by the BN scale (a few dB at best).
        Assert.All(weights, w => Assert.True(w.SqnrDb > 30, $"{w.Tensor}: {w.SqnrDb} dB"));
        Assert.Contains(r.Layers, l => l.Kind == "activation" && l.SqnrBeforeQuantizationDb is not null);
        Assert.Equal(2, r.Samples);
    }
}
