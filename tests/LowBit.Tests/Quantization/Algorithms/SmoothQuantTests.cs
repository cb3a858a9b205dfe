using LowBit.Quantization;
using LowBit.Quantization.Algorithms;
using static LowBit.Tests.Quantization.Algorithms.SmoothingTestModels;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Algorithms;

public class SmoothQuantTests
{
    [Fact]
    public void Apply_OutlierBlock_SameFunctionInLowBitAndOrt()
    {
        var g = OutlierBlock();
        var data = RandomData(g, 4, seed: 21);
        var (s, entries) = Transform(g, new QuantizerConfig(smoothQuantAlpha: 0.5), data);
        // q/k/v share ln1's output (one group folded into ln1), fc1 folds into ln2, proj (after Reshape) and fc2 (after Gelu)
        // get an inserted Mul.
        Assert.Equal(4, entries.Count);
        Assert.Equal(["q.matmul", "k.matmul", "v.matmul"], entries[0].Layers);
        Assert.Equal("LayerNormalization", entries[0].Applied);
        Assert.Equal(2, entries.Count(e => e.Applied == "inserted Mul"));
        var test = RandomData(g, 3, seed: 22);
        // float32 rounding of rescaled weights (factors up to ~10): relative 1e-4 of the output range
        Assert.InRange(RelativeError(g, s, test), 0, 1e-4);
        Assert.InRange(RelativeError(g, s, test, ort: true), 0, 1e-4);
    }

    [Fact]
    public void Apply_OutlierBlock_FlattensPerChannelActivationRange()
    {
        var g = OutlierBlock();
        var data = RandomData(g, 4, seed: 23);
        var (s, entries) = Transform(g, new QuantizerConfig(smoothQuantAlpha: 0.5), data);
        double before = SpreadAtInputOf(g, "q.matmul", data), after = SpreadAtInputOf(s, "q.matmul", data);
        // two channels 40× wider than the rest: max/mean ≈ 40/(1 + 78/32) ≈ 11; α = ½ takes the square root of the outlier factor.
        Assert.True(before > 8, $"{before}");
        Assert.True(after < before / 2.5, $"before {before}, after {after}");
        Assert.Equal(before, entries[0].SpreadBefore!.Value, 3);
        Assert.Equal(after, entries[0].SpreadAfter!.Value, 3);
    }

    [Fact]
    public void Quantize_W8A8PerTensorActivations_SmoothingLowersOutputError()
    {
        var g = OutlierLinear();
        var data = RandomData(g, 8, seed: 24);
        var test = RandomData(g, 4, seed: 25);
        double Error(double? alpha)
        {
            var config = new QuantizerConfig(reduceRange: false, smoothQuantAlpha: alpha);
            var q = Quantizer.Quantize(g, config, data);
            Assert.Equal(alpha, q.Manifest.Config.SmoothQuantAlpha);
            Assert.Equal(alpha is null ? null : 1, q.Manifest.Transforms?.Count);
            return RelativeRms(g, q.Graph, test);
        }
        // measured: relative RMS 0.0177 plain, 0.0105 with α = ½ (uint8 per-tensor activations, int8 per-channel weights)
        double plain = Error(null), smooth = Error(0.5);
        Assert.True(smooth < 0.75 * plain, $"plain {plain}, smoothed {smooth}");
    }

    [Fact]
    public void Load_Manifest_RebuildsSmoothedGraphWithoutData()
    {
        var g = OutlierBlock();
        var data = RandomData(g, 4, seed: 26);
        var q = Quantizer.Quantize(g, new QuantizerConfig(reduceRange: false, smoothQuantAlpha: 0.8), data);
        var json = ManifestJson.Write(q.Manifest);
        var reloaded = QuantizedModel.Apply(ManifestJson.Read(json, "test"), g);
        var x = RandomData(g, 1, seed: 27)[0];
        // same factors (stored as float32) and same stored quantization parameters: bit-identical outputs
        Assert.Equal(0f, MaxAbsDiff(RunLowBit(q.Graph, x), RunLowBit(reloaded.Graph, x)));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Config_AlphaOutOfRange_UsageError(double alpha)
    {
        var e = Assert.Throws<LowBitException>(() => new QuantizerConfig(smoothQuantAlpha: alpha));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("alpha", e.Message);
    }

    [Fact]
    public void Config_SmoothQuantInWeightOnlyMode_UsageError()
    {
        var e = Assert.Throws<LowBitException>(() => new QuantizerConfig(QuantMode.WeightOnly, smoothQuantAlpha: 0.5));
        Assert.Contains("static mode only", e.Message);
    }

    [Fact]
    public void Factors_AlphaHalf_BalancesActivationAndWeightRanges()
    {
        var r = new ChannelRange(2);
        r.Min[0] = -16; r.Max[0] = 4;       // max|X_0| = 16
        r.Min[1] = -1; r.Max[1] = 1;        // max|X_1| = 1
        var s = SmoothQuant.Factors(r, [[1.0, 4.0]], 0.5);
        // s_j = √(max|X_j| / max|W_j|): s_0 = 4, s_1 = ½; then max|X_j|/s_j = max|W_j|·s_j = √(max|X_j|·max|W_j|)
        Assert.Equal(4, s[0], 12);
        Assert.Equal(0.5, s[1], 12);
    }
}
