using LowBit.Formats;
using LowBit.Quantization;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Algorithms;

public class BrecqPartitionOptionTests
{
    private static List<string> BlockSummaries(double? entropy)
    {
        var g = ConvNet();
        var data = RandomData(g, 4, batch: 2);
        var config = new QuantizerConfig(weights: new WeightQuantConfig(FormatTable.Get("int4")),
            algorithm: new AlgorithmConfig(WeightAlgorithm.Brecq, iterations: 4, blockEntropy: entropy, maxBlockLayers: 8));
        var q = Quantizer.Quantize(g, config, data);
        Assert.Equal(entropy, q.Manifest.Config.Algorithm!.BlockEntropy);
        return q.Manifest.Tensors.Where(t => t.Algorithm is not null).Select(t => t.Algorithm!.Summary).Distinct().ToList();
    }

    [Fact]
    public void BlockEntropy_ZeroThreshold_MergesEveryBlockUpToTheLayerCap()
    {
        var single = BlockSummaries(null);
        var merged = BlockSummaries(0);
        Assert.True(single.Count > 1, string.Join("; ", single));
        Assert.Single(merged);
        Assert.StartsWith("block of 4 layers", merged[0]);
    }

    [Fact]
    public void BlockEntropy_WithoutBrecq_IsAUsageError()
    {
        var e = Assert.Throws<LowBitException>(() => new AlgorithmConfig(WeightAlgorithm.AdaRound, blockEntropy: 0.5));
        Assert.Equal(ErrorKind.Usage, e.Kind);
    }
}
