using System.Text.Json;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit quantize --scale-format</c> and the absmean/absmedian weight ranges: the choice reaches the manifest,
/// e8m0 scales in it are powers of two, and unknown names are one-line usage errors listing the known ones.</summary>
public class QuantizeScaleFormatTests(QuantModelsFixture models) : IClassFixture<QuantModelsFixture>, IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private CliResult Quantize(params string[] extra) => CliHarness.Run(["quantize", models.Float, "--threads", "1", .. extra]);

    [Theory]
    [InlineData("e8m0", "minmax")]
    [InlineData("int8", "absmean")]
    [InlineData("float32", "absmedian")]
    public void Quantize_ScaleFormatFlag_RecordedInManifest(string scales, string range)
    {
        var r = Quantize("--out", h.PathOf("s.onnx"), "--weights", "int4", "--granularity", "group:32", "--activations", "none",
            "--scale-format", scales, "--weight-range", range);
        Assert.True(r.Code == 0, r.Err);
        using var m = JsonDocument.Parse(File.ReadAllText(h.PathOf("s.lowbit.json")));
        var w = m.RootElement.GetProperty("config").GetProperty("weights");
        Assert.Equal(scales, w.GetProperty("scaleFormat").GetString());
        Assert.Equal(range, w.GetProperty("range").GetString());
        if (scales != "e8m0") return;
        int inline = 0;  // scales of large tensors are kept only as a hash (ManifestBuilder.InlineLimit)
        foreach (var t in m.RootElement.GetProperty("tensors").EnumerateArray().Where(t => t.GetProperty("kind").GetString() == "weight"))
        {
            if (!t.TryGetProperty("scales", out var scalesJson)) continue;
            inline++;
            foreach (var s in scalesJson.EnumerateArray())
                Assert.Equal(0, BitConverter.SingleToInt32Bits(s.GetSingle()) & 0x7FFFFF);
        }
        Assert.True(inline > 0, "no weight lists its scales");
    }

    [Theory]
    [InlineData("--scale-format", "fp16", "float32, e8m0, int8")]
    [InlineData("--weight-range", "absmax", "absmedian")]
    public void Quantize_UnknownScaleName_ListsTheKnownOnes(string flag, string value, string known)
    {
        var r = Quantize("--out", h.PathOf("u.onnx"), "--weights", "int4", "--activations", "none", flag, value);
        QuantizeCommandTests.AssertError(r, 2, flag, value, known);
    }
}
