using LowBit.Tensors;
using LowBit.Formats;
using LowBit.Quantization;

namespace LowBit.Tests.Quantization.Configs;

/// <summary>Activation formats ONNX Runtime 1.31 cannot run are refused when the config is built (issue 8 part 3; the
/// measurement is tests/LowBit.Cli.Tests/Commands/QuantizeCombinationTests.cs).</summary>
public class ActivationQuantConfigTests
{
    /// <summary>ONNX Runtime 1.31 loads no model with tensor(int4/uint4) activations, so 4-bit-and-narrower activations
    /// use the 8-bit type of their signedness, and every grid narrower than its type is marked for the grid Clip.</summary>
    [Theory]
    [InlineData("uint4", DType.UInt8, true)]
    [InlineData("uint2", DType.UInt8, true)]
    [InlineData("int3", DType.Int8, true)]
    [InlineData("int4-narrow", DType.Int8, true)]
    [InlineData("int7", DType.Int8, true)]
    [InlineData("int8-narrow", DType.Int8, true)]
    [InlineData("uint8", DType.UInt8, false)]
    [InlineData("int16", DType.Int16, false)]
    [InlineData("fp8-e4m3", DType.Float8E4M3FN, false)]
    public void Storage_NarrowGrids_EightBitContainerAndGridClip(string format, DType storage, bool clipped)
    {
        var f = FormatTable.Get(format);
        _ = new ActivationQuantConfig(f, f.IntegerRange is null ? QuantScheme.Symmetric : null);
        Assert.Equal(storage, ActivationQuantConfig.Storage(f));
        Assert.Equal(clipped, ActivationQuantConfig.IsNarrowerThanStorage(f));
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
    public void RecipeNode_FourBitActivations_Accepted()
    {
        const string json = """{ "nodes": { "conv1": { "activations": { "format": "uint4" } } } }""";
        Assert.Equal("uint4", QuantRecipe.Parse(json).Nodes["conv1"].Activations!.Format.Name);
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
        Assert.StartsWith("uint3 activations are stored in 8-bit containers (uint8)", WeightQuantConfig.ContainerNote(FormatTable.Get("uint3"), "activations"));

    [Theory]
    [InlineData("int4")]
    [InlineData("uint8")]
    [InlineData("int16")]
    public void ContainerNote_FullWidthFormats_Null(string format) =>
        Assert.Null(WeightQuantConfig.ContainerNote(FormatTable.Get(format), "weights"));
}
