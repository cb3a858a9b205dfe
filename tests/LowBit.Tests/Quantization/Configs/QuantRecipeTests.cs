using LowBit.Quantization;

namespace LowBit.Tests.Quantization.Configs;

public class QuantRecipeTests
{
    private const string Sample = """
        {
          "exclude": { "nodes": ["fc3"], "opTypes": ["Concat"] },
          "nodes": {
            "fc1": "float",
            "fc2": { "weights": { "format": "int4", "granularity": "group:16", "range": "mse", "scaleFormat": "e8m0" },
                     "activations": { "observer": "percentile:99.9" } }
          }
        }
        """;

    [Fact]
    public void Parse_Sample_ReadsEveryField()
    {
        var r = QuantRecipe.Parse(Sample);
        Assert.Equal(["fc3"], r.ExcludeNodes);
        Assert.Equal(["Concat"], r.ExcludeOpTypes);
        Assert.True(r.Nodes["fc1"].KeepFloat);
        var fc2 = r.Nodes["fc2"];
        Assert.Equal("int4", fc2.Weights!.Format.Name);
        Assert.Equal(new WeightGranularity.Group(16), fc2.Weights.Granularity);
        Assert.Equal(WeightRange.Mse, fc2.Weights.Range);
        Assert.Equal(ScaleFormat.E8M0, fc2.Weights.ScaleFormat);
        Assert.Equal("percentile:99.9", fc2.Activations!.Observer.ToString());
    }

    [Fact]
    public void ToJson_Parse_RoundTrips()
    {
        var r = QuantRecipe.Parse(Sample);
        Assert.Equal(r, QuantRecipe.Parse(r.ToJson()));
    }

    [Theory]
    [InlineData("""{ "node": {} }""", "unknown key \"node\" in the recipe; allowed keys: exclude, nodes")]
    [InlineData("""{ "nodes": { "a": { "weight": {} } } }""", "unknown key \"weight\" in node 'a'; allowed keys: float, weights, activations")]
    [InlineData("""{ "nodes": { "a": { "weights": { "bits": 4 } } } }""", "allowed keys: format, granularity, scheme, range, scaleFormat")]
    [InlineData("""{ "nodes": { "a": { "weights": { "scaleFormat": "fp16" } } } }""", "unknown scale format 'fp16'")]
    [InlineData("""{ "nodes": { "a": { "weights": { "format": "int9" } } } }""", "unknown number format 'int9'; known formats:")]
    [InlineData("""{ "nodes": { "a": { "activations": { "observer": "kl" } } } }""", "unknown observer 'kl'; known observers:")]
    [InlineData("""{ "nodes": { "a": "int8" } }""", "the only string value is \"float\"")]
    [InlineData("""{ "nodes": { "a": { "float": true, "weights": {} } } }""", "takes no weight or activation settings")]
    [InlineData("""{ "nodes": [ ] }""", "\"nodes\" must be a JSON object")]
    [InlineData("""{ "nodes": """, "not valid JSON")]
    public void Parse_Errors_NameTheProblem(string json, string expected)
    {
        var e = Assert.Throws<LowBitException>(() => QuantRecipe.Parse(json, "my.json"));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.StartsWith("my.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
