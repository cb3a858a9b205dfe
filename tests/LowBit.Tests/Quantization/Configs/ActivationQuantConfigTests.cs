using LowBit.Formats;
using LowBit.Quantization;

namespace LowBit.Tests.Quantization.Configs;

/// <summary>Activation formats ONNX Runtime 1.31 cannot run are refused when the config is built (issue 8 part 3; the
/// measurement is tests/LowBit.Cli.Tests/Commands/QuantizeCombinationTests.cs).</summary>
public class ActivationQuantConfigTests
{
    [Theory]
    [InlineData("uint4", "uint8")]
    [InlineData("uint2", "uint8")]
    [InlineData("int3", "int8")]
    [InlineData("int4-narrow", "int8")]
    public void Ctor_FourBitContainer_RefusedNamingTheNearestWorkingFormat(string format, string nearest)
    {
        var e = Assert.Throws<LowBitException>(() => new ActivationQuantConfig(FormatTable.Get(format)));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains($"'{format}'", e.Message);
        Assert.Contains($"nearest that works: activations {nearest}", e.Message);
    }

    [Theory]
    [InlineData("uint8")]
    [InlineData("int8")]
    [InlineData("int5")]
    [InlineData("uint16")]
    [InlineData("int16")]
    public void Ctor_EightOrSixteenBitContainer_Accepted(string format) =>
        Assert.Equal(format, new ActivationQuantConfig(FormatTable.Get(format)).Format.Name);

    [Fact]
    public void RecipeNode_FourBitActivations_RefusedToo()
    {
        const string json = """{ "nodes": { "conv1": { "activations": { "format": "uint4" } } } }""";
        var e = Assert.Throws<LowBitException>(() => QuantRecipe.Parse(json));
        Assert.Contains("uint4", e.Message);
    }

    [Theory]
    [InlineData("int3", "int4")]
    [InlineData("uint2", "uint4")]
    [InlineData("int7", "int8")]
    [InlineData("int5-narrow", "int8")]
    public void ContainerNote_NarrowFormats_NameTheirContainer(string format, string container)
    {
        string? note = WeightQuantConfig.ContainerNote(FormatTable.Get(format), "weights");
        Assert.NotNull(note);
        Assert.StartsWith($"{format} weights are stored bit-packed at {((IntFormat)FormatTable.Get(format)).Bits} bits per code", note);
        Assert.Contains($"({container})", note);
    }

    [Fact]
    public void ContainerNote_NarrowActivations_StayInContainers() =>
        Assert.StartsWith("uint3 activations are stored in 4-bit containers (uint4)", WeightQuantConfig.ContainerNote(FormatTable.Get("uint3"), "activations"));

    [Theory]
    [InlineData("int4")]
    [InlineData("uint8")]
    [InlineData("int16")]
    public void ContainerNote_FullWidthFormats_Null(string format) =>
        Assert.Null(WeightQuantConfig.ContainerNote(FormatTable.Get(format), "weights"));
}
