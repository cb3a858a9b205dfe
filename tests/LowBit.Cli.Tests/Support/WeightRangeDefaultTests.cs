using LowBit.Cli.Support;
using LowBit.Formats;
using LowBit.Quantization;

namespace LowBit.Cli.Tests.Support;

public class WeightRangeDefaultTests
{
    private static QuantizerConfig Make(WeightQuantConfig w, bool? reduceRange) => new(QuantMode.Static, w, null, reduceRange);

    [Theory]
    [InlineData("int8", false, WeightRange.MinMax)]  // full 8-bit weights: min-max
    [InlineData("int8", true, WeightRange.Mse)]      // 7-bit reduce-range weights: mse
    [InlineData("int4", false, WeightRange.Mse)]     // 4 bits: mse
    [InlineData("int2", false, WeightRange.Mse)]
    public void Apply_MseForSevenBitAndNarrowWeights(string format, bool reduceRange, WeightRange expected)
    {
        var config = Make(new WeightQuantConfig(FormatTable.Get(format), new WeightGranularity.PerChannel()), reduceRange);
        var result = WeightRangeDefault.Apply(config, w => Make(w, reduceRange));
        Assert.Equal(expected, result.Weights.Range);
        Assert.Equal(config.Weights.Format, result.Weights.Format);
        Assert.Equal(config.Weights.Granularity, result.Weights.Granularity);
    }
}
