using LowBit.Formats;
using LowBit.Kernels;
using LowBit.Quantization;

namespace LowBit.Tests.Quantization.Configs;

public class QuantizerConfigTests
{
    [Fact]
    public void Constructor_Defaults_DependOnMode()
    {
        var s = new QuantizerConfig(QuantMode.Static);
        Assert.Equal("int8", s.Weights.Format.Name);
        Assert.IsType<WeightGranularity.PerChannel>(s.Weights.Granularity);
        Assert.Equal("uint8", s.Activations!.Format.Name);
        Assert.Equal(QuantScheme.Asymmetric, s.Activations.Scheme);
        var w = new QuantizerConfig(QuantMode.WeightOnly);
        Assert.Equal("int4", w.Weights.Format.Name);
        Assert.Equal(new WeightGranularity.Group(32), w.Weights.Granularity);
        Assert.Null(w.Activations);
    }

    [Fact]
    public void Constructor_WeightOnlyWithActivations_ThrowsUsage()
    {
        var e = Assert.Throws<LowBitException>(() => new QuantizerConfig(QuantMode.WeightOnly, activations: ActivationQuantConfig.UInt8));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("weight-only mode quantizes no activations", e.Message);
    }

    [Fact]
    public void Constructor_DynamicInt8Activations_ListsWhatItTakes()
    {
        var e = Assert.Throws<LowBitException>(() => new QuantizerConfig(QuantMode.Dynamic, activations: new ActivationQuantConfig(FormatTable.Get("int8"))));
        Assert.Contains("uint8 asymmetric only", e.Message);
    }

    [Fact]
    public void Constructor_DynamicGroupWeights_ListsAcceptedFormats()
    {
        var e = Assert.Throws<LowBitException>(() => new QuantizerConfig(QuantMode.Dynamic, WeightQuantConfig.Int4Group(32)));
        Assert.Contains("8-bit integer weights per tensor or per channel", e.Message);
        Assert.Contains("int8", e.Message);
        Assert.Contains("uint8", e.Message);
        Assert.DoesNotContain("int4,", e.Message);
    }

    [Fact]
    public void Constructor_ReduceRangeOnInt4_Throws()
    {
        var e = Assert.Throws<LowBitException>(() => new QuantizerConfig(QuantMode.Static, WeightQuantConfig.Int4Group(32), reduceRange: true));
        Assert.Contains("narrows 8-bit weights", e.Message);
    }

    [Fact]
    public void Constructor_UnknownOptionalOp_ListsOptionalOps()
    {
        var e = Assert.Throws<LowBitException>(() => new QuantizerConfig(quantizeOpTypes: ["Sigmoid"]));
        Assert.Contains("Softmax, LayerNormalization, Gelu", e.Message);
    }

    [Fact]
    public void Constructor_MatMulNBitsWithUnfitWeights_Throws()
    {
        _ = new QuantizerConfig(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel, weightOnlyKernel: WeightOnlyKernel.MatMulNBits);
        var odd = new WeightQuantConfig(FormatTable.Get("int4"), new WeightGranularity.Group(24));
        var e = Assert.Throws<LowBitException>(() => new QuantizerConfig(QuantMode.WeightOnly, odd, weightOnlyKernel: WeightOnlyKernel.MatMulNBits));
        Assert.Contains("groups of a power of two", e.Message);
        var wide = new WeightQuantConfig(FormatTable.Get("int16"));
        Assert.Throws<LowBitException>(() => new QuantizerConfig(QuantMode.WeightOnly, wide, weightOnlyKernel: WeightOnlyKernel.MatMulNBits));
    }

    [Fact]
    public void WeightConfig_EveryRegisteredFormat_AcceptedSymmetricAndListedAsStorable()
    {
        // Integer formats export as DequantizeLinear codes, FP8 as float8 codes, and the rest (fp4, nf4, binary, pot*,
        // apot*) as packed codes + lookup table: every table row is a weight format, and the usage listing names it.
        var storable = WeightQuantConfig.StorableFormats().ToList();
        foreach (var f in FormatTable.All)
        {
            _ = new WeightQuantConfig(f, scheme: QuantScheme.Symmetric);
            Assert.Contains(f.Name, storable);
        }
        Assert.DoesNotContain("nf4", WeightQuantConfig.StorableFormats(weights: false));
    }

    [Theory]
    [InlineData("per-tensor", typeof(WeightGranularity.PerTensor))]
    [InlineData("per-channel", typeof(WeightGranularity.PerChannel))]
    [InlineData("group:64", typeof(WeightGranularity.Group))]
    public void Granularity_Parse_KnownNames(string text, Type expected) => Assert.IsType(expected, WeightGranularity.Parse(text));

    [Theory]
    [InlineData("per-row")]
    [InlineData("group:8")]
    [InlineData("group:x")]
    public void Granularity_Parse_BadNames_ListKnown(string text)
    {
        var e = Assert.Throws<LowBitException>(() => WeightGranularity.Parse(text));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.True(e.Message.Contains("per-tensor") || e.Message.Contains("group size"), e.Message);
    }

    [Fact]
    public void ConfigNames_UnknownScheme_ListsKnown()
    {
        var e = Assert.Throws<LowBitException>(() => ConfigNames.ParseScheme("affine"));
        Assert.Contains("symmetric, asymmetric", e.Message);
    }

    [Fact]
    public void CpuDefaults_AvxWithoutVnni_ChoosesReduceRange()
    {
        var avx2 = new CpuFeatures("x64", Avx2: true, Avx512F: false, AvxVnni: false, Avx512Vnni: false, AdvSimd: false, DotProduct: false);
        var d = CpuDefaults.Decide(new QuantizerConfig(targetCpu: avx2));
        Assert.True(d.ReduceRange);
        Assert.Contains("vpmaddubsw", d.Reason);
        var avx512 = avx2 with { Avx512F = true };
        Assert.True(CpuDefaults.Decide(new QuantizerConfig(targetCpu: avx512)).ReduceRange);
    }

    [Fact]
    public void CpuDefaults_Vnni_Arm_WeightOnly_KeepFullRange()
    {
        var vnni = new CpuFeatures("x64", true, true, false, true, false, false);
        Assert.False(CpuDefaults.Decide(new QuantizerConfig(targetCpu: vnni)).ReduceRange);
        var arm = new CpuFeatures("arm64", false, false, false, false, true, true);
        Assert.False(CpuDefaults.Decide(new QuantizerConfig(targetCpu: arm)).ReduceRange);
        var avx2 = new CpuFeatures("x64", true, false, false, false, false, false);
        Assert.False(CpuDefaults.Decide(new QuantizerConfig(QuantMode.WeightOnly, targetCpu: avx2)).ReduceRange);
        // uint8 weights run the u8u8 kernel, which does not saturate.
        var u8 = new WeightQuantConfig(FormatTable.Get("uint8"), scheme: QuantScheme.Asymmetric);
        Assert.False(CpuDefaults.Decide(new QuantizerConfig(weights: u8, targetCpu: avx2)).ReduceRange);
    }

    [Fact]
    public void CpuDefaults_FullRangeForcedOnSaturatingCpu_Warns()
    {
        var avx2 = new CpuFeatures("x64", true, false, false, false, false, false);
        var d = CpuDefaults.Decide(new QuantizerConfig(reduceRange: false, targetCpu: avx2));
        Assert.False(d.ReduceRange);
        Assert.Contains("WARNING", d.Reason);
    }
}
