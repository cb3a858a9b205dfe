using LowBit.Onnx.Ops;
using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>String tensors: StringNormalizer and Cast between strings and numbers, exactly as ONNX Runtime gives them.</summary>
public class StringOpsTests
{
    // ONNX Runtime builds an en_US.UTF-8 C++ locale for LOWER/UPPER and fails to load the model where that locale is
    // not installed (Debian without locales-all), so case changes are checked against hand-written results instead.
    // Case-insensitive matching also builds that locale in ONNX Runtime: only the case-sensitive form runs there.
    [Fact]
    public void StringNormalizer_CaseSensitiveStopWords_MatchesOrt()
    {
        const long caseSensitive = 1;
        var x = Tensor.FromArray(new[] { "The", "quick", "THE", "Fox", "and", "the", "ÉTÉ" }, 1, 7);
        OrtParity.AssertIdentical("StringNormalizer", 10, [Fed("x", x)], [DType.String],
            attrs: [("case_change_action", "NONE"), ("is_case_sensitive", caseSensitive), ("stopwords", new[] { "the", "and" })]);
    }

    [Fact]
    public void StringNormalizer_IgnoringCase_DropsEverySpelling()
    {
        var x = Tensor.FromArray(new[] { "The", "quick", "THE", "tHe", "and", "AND" }, 1, 6);
        var y = StringOps.StringNormalizer(x, stopwords: ["the", "and"]);
        Assert.Equal(new[] { "quick" }, y.AsSpan<string>().ToArray());
        Assert.Equal(new[] { 1, 1 }, y.Shape);
    }

    [Fact]
    public void StringNormalizer_LowerIgnoringCase_DropsAllSpellingsAndLowersUnicode()
    {
        var x = Tensor.FromArray(new[] { "The", "quick", "THE", "Fox", "ÉTÉ" }, 5);
        var y = StringOps.StringNormalizer(x, "LOWER", stopwords: ["the"]);
        Assert.Equal(new[] { "quick", "fox", "été" }, y.AsSpan<string>().ToArray());
        Assert.Equal(new[] { 3 }, y.Shape);
    }

    [Fact]
    public void StringNormalizer_EverythingDropped_TwoDimensionalGivesOneEmptyString()
    {
        var y = StringOps.StringNormalizer(Tensor.FromArray(new[] { "a", "A" }, 1, 2), "UPPER", stopwords: ["a"]);
        Assert.Equal(new[] { 1, 1 }, y.Shape);
        Assert.Equal("", y.AsSpan<string>()[0]);
    }

    [Fact]
    public void StringNormalizer_UnknownAction_ThrowsNamingAttribute()
    {
        var x = Tensor.FromArray(new[] { "a" }, 1);
        var e = Assert.Throws<LowBitException>(() => StringOps.StringNormalizer(x, case_change_action: "TITLE"));
        Assert.Contains("case_change_action 'TITLE'", e.Message);
    }

    // Floats print differently on purpose (see CastStringFormatTests); integers and bools must agree exactly.
    [Theory]
    [InlineData(DType.Int64)]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int8)]
    [InlineData(DType.UInt8)]
    [InlineData(DType.Bool)]
    public void Cast_IntegersToString_MatchesOrt(DType from)
    {
        var x = from == DType.Bool ? Tensor.FromArray(Enumerable.Range(0, 12).Select(i => i % 3 == 0).ToArray(), 12)
            : RandomTensors.Ints(new Random(21), from, from == DType.UInt8 ? 0 : from == DType.Int8 ? -128 : -100000,
                from is DType.Int8 or DType.UInt8 ? 127 : 100000, 12);
        OrtParity.AssertIdentical("Cast", 13, [Fed("x", x)], [DType.String], attrs: ("to", (long)DType.String));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    [InlineData(DType.Int32)]
    [InlineData(DType.Float16)]
    public void Cast_StringToNumbers_MatchesOrt(DType to)
    {
        string[] s = to.IsInteger()
            ? ["0", "-17", "123456", "+42", "2147483647", "-2147483648"]
            : ["0.47892547", "-1.5e-3", "1E+10", "NaN", "INF", "-INF", "3", "  2.5", "-0"];
        var x = Tensor.FromArray(s, s.Length);
        OrtParity.AssertIdentical("Cast", 13, [Fed("x", x)], [to], attrs: ("to", (long)to));
    }
}

/// <summary>Cast float → string prints the shortest round-trip decimal with C's exponent style (numpy's str, the ONNX
/// backend cases' expectation), not ONNX Runtime's %.8g.</summary>
public class CastStringFormatTests
{
    [Theory]
    [InlineData(1e-5f, "1e-05")]
    [InlineData(0.6048455f, "0.6048455")]
    [InlineData(-0.5f, "-0.5")]
    [InlineData(float.NegativeInfinity, "-INF")]
    [InlineData(float.NaN, "NaN")]
    public void Cast_FloatToString_PrintsShortestRoundTrip(float v, string expected)
    {
        var s = Elementwise.Cast(Tensor.FromArray(new[] { v }, 1), DType.String);
        Assert.Equal(expected, s.AsSpan<string>()[0]);
        if (!float.IsNaN(v)) Assert.Equal(v, Elementwise.Cast(s, DType.Float32).AsSpan<float>()[0]);
    }

    [Fact]
    public void Cast_DoubleToString_KeepsDoublePrecision()
    {
        var s = Elementwise.Cast(Tensor.FromArray(new[] { 0.1 + 0.2, 1e20 }, 2), DType.String);
        Assert.Equal(new[] { "0.30000000000000004", "1e+20" }, s.AsSpan<string>().ToArray());
    }

    [Fact]
    public void Cast_UnparsableString_ThrowsInvalidInputNamingIt()
    {
        var e = Assert.Throws<LowBitException>(() => Elementwise.Cast(Tensor.FromArray(new[] { "1.5x" }, 1), DType.Float32));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("'1.5x'", e.Message);
    }
}
