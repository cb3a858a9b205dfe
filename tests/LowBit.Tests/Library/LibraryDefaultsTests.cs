using LowBit.Formats;
using LowBit.Kernels;
using LowBit.Quantization;
using LowBit.Tensors;
using LowBit.Tests.Quantization;

namespace LowBit.Tests.Library;

/// <summary>The library's defaults are the CLI's (one rule, <see cref="WeightRangeDefault"/>), and
/// <see cref="Quantizer"/> takes samples with or without the batch dimension.</summary>
public class LibraryDefaultsTests
{
    private static readonly CpuFeatures Vnni = new("x64", Avx2: true, Avx512F: true, AvxVnni: false, Avx512Vnni: true, AdvSimd: false, DotProduct: false);
    private static readonly CpuFeatures Avx2Only = new("x64", Avx2: true, Avx512F: false, AvxVnni: false, Avx512Vnni: false, AdvSimd: false, DotProduct: false);

    [Theory]
    [InlineData(QuantMode.Static, "int8", "vnni", WeightRange.MinMax)]     // full 8-bit weights: min-max
    [InlineData(QuantMode.Static, "int8", "avx2", WeightRange.Mse)]        // 7-bit reduce-range chosen for a saturating CPU: mse
    [InlineData(QuantMode.Static, "int4", "vnni", WeightRange.Mse)]        // ≤ 4 bits: mse
    [InlineData(QuantMode.Dynamic, "int8", "vnni", WeightRange.MinMax)]
    [InlineData(QuantMode.WeightOnly, "int8", "avx2", WeightRange.MinMax)]  // weight-only never narrows to 7 bits
    public void QuantizerConfig_RangeLeftUnset_FollowsTheCliRule(QuantMode mode, string format, string cpu, WeightRange expected)
    {
        var weights = new WeightQuantConfig(FormatTable.Get(format), new WeightGranularity.PerChannel());
        var config = new QuantizerConfig(mode, weights, targetCpu: cpu == "vnni" ? Vnni : Avx2Only);
        Assert.Equal(expected, config.Weights.Range);
        Assert.Equal(expected == WeightRange.Mse, WeightRangeDefault.PrefersMse(config));
        Assert.False(config.Weights.RangeIsDefault);
    }

    [Fact]
    public void QuantizerConfig_NoArguments_WeightOnlyDefaultIsInt4Group32Mse()
    {
        var w = new QuantizerConfig(QuantMode.WeightOnly).Weights;
        Assert.Equal("int4", w.Format.Name);
        Assert.Equal(new WeightGranularity.Group(32), w.Granularity);
        Assert.Equal(WeightRange.Mse, w.Range);
    }

    [Fact]
    public void QuantizerConfig_ExplicitMinMax_IsKept()
    {
        var weights = new WeightQuantConfig(FormatTable.Get("int4"), new WeightGranularity.PerChannel(), range: WeightRange.MinMax);
        Assert.Equal(WeightRange.MinMax, new QuantizerConfig(QuantMode.Static, weights, targetCpu: Vnni).Weights.Range);
    }

    [Fact]
    public void Quantize_SamplesWithoutBatchDim_SameRangesAsWithIt()
    {
        var model = QuantTestModels.ConvNet();  // input x: [N, 3, 12, 12]
        var rng = new Random(5);
        var samples = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, 3 * 12 * 12).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray()).ToList();
        var config = new QuantizerConfig(targetCpu: Vnni);
        var batched = Quantizer.Quantize(model, config, samples.Select(s => Dict(Tensor.FromArray(s, [1, 3, 12, 12]))).ToList());
        var unbatched = Quantizer.Quantize(model, config, samples.Select(s => Dict(Tensor.FromArray(s, [3, 12, 12]))).ToList());

        // Same samples, so every calibrated range and scale must be bit-identical.
        var expected = batched.Manifest.Tensors.Where(t => t.Kind == "activation").ToList();
        Assert.NotEmpty(expected);
        var actual = unbatched.Manifest.Tensors.Where(t => t.Kind == "activation").ToList();
        Assert.Equal(expected.Select(t => (t.Name, t.ParamsSha256)), actual.Select(t => (t.Name, t.ParamsSha256)));
    }

    [Fact]
    public void Quantize_SampleOfWrongRank_ErrorNamesTheInput()
    {
        var model = QuantTestModels.ConvNet();
        var bad = new[] { Dict(Tensor.Zeros(DType.Float32, [12, 12])) };
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(model, new QuantizerConfig(), bad));
        Assert.Contains("x", e.Message);
    }

    private static Dictionary<string, Tensor> Dict(Tensor x) => new() { ["x"] = x };
}
