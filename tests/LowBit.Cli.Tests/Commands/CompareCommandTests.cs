using System.Text.Json;

namespace LowBit.Cli.Tests.Commands;

public class CompareCommandTests(QuantModelsFixture models) : IClassFixture<QuantModelsFixture>, IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? double.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : e.GetDouble();

    [Fact]
    public void Compare_Json_LayersWorstFirstWithAttributionAndExcludeFlags()
    {
        var r = CliHarness.Run("compare", models.Float, models.Quantized, "--data", "fashion-mnist-1k", "--samples", "16", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("compare", j.GetProperty("command").GetString());
        Assert.Equal(16, j.GetProperty("samples").GetInt64());
        // exact matches are +∞, written as the string "Infinity" (--json's named float literals)
        var sqnr = j.GetProperty("layers").EnumerateArray().Select(l => Number(l.GetProperty("sqnr_db"))).ToList();
        Assert.True(sqnr.Count > 10);
        Assert.Equal(sqnr.Order(), sqnr);  // worst first
        var first = j.GetProperty("layers")[0];
        foreach (var field in new[] { "tensor", "kind", "op", "format", "float_min", "float_max", "cosine" })
            Assert.True(first.TryGetProperty(field, out _), field);
        Assert.Contains(j.GetProperty("layers").EnumerateArray(), l => l.GetProperty("kind").GetString() == "weight" && l.GetProperty("format").GetString()!.StartsWith("int8"));
        var attribution = j.GetProperty("attribution");
        Assert.True(attribution.GetArrayLength() >= 6);  // 4 Conv + 2 Gemm, at least
        var keep = j.GetProperty("keep_in_higher_precision").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.NotEmpty(keep);
        Assert.Equal(string.Join(" ", keep.Select(k => "--exclude " + k)), j.GetProperty("exclude_flags").GetString());
        Assert.True(j.GetProperty("output_sqnr_db").GetDouble() > 10);
    }

    [Fact]
    public void Compare_OutputSqnr_IsOverAllSamplesLikeTheOutputRow()
    {
        // 16 samples compared, attribution on the first 8: the headline equals the logits row (same pairs, to rounding),
        // and the attribution's all-quantized figure is labelled with its own sample count.
        var r = CliHarness.Run("compare", models.Float, models.Quantized, "--data", "fashion-mnist-1k", "--samples", "16", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        var logits = j.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("tensor").GetString() == "logits");
        Assert.Equal(Number(logits.GetProperty("sqnr_db")), j.GetProperty("output_sqnr_db").GetDouble(), 1e-9);
        Assert.Equal(8, j.GetProperty("attribution_samples").GetInt64());
        Assert.NotEqual(j.GetProperty("output_sqnr_db").GetDouble(), j.GetProperty("attribution_output_sqnr_db").GetDouble(), 3);
    }

    [Fact]
    public void Compare_RelativePaths_AreAbsoluteInJson()
    {
        string Relative(string p) => Path.GetRelativePath(Directory.GetCurrentDirectory(), p);
        var r = CliHarness.Run("compare", Relative(models.Float), Relative(models.Quantized), "--data", "fashion-mnist-1k", "--samples", "8",
            "--no-attribution", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal(models.Float, j.GetProperty("reference").GetString());
        Assert.Equal(models.Quantized, j.GetProperty("model").GetString());
        Assert.Equal(JsonValueKind.Number, j.GetProperty("output_sqnr_db").ValueKind);  // measured without attribution too
    }

    [Fact]
    public void Compare_NaNInData_OneLineErrorNamingSampleAndInput()
    {
        var data = new float[4 * 784];
        data[2 * 784 + 9] = float.NaN;
        string npy = h.SaveNpy("nan.npy", Tensors.Tensor.FromArray(data, 4, 1, 28, 28));
        QuantizeCommandTests.AssertError(CliHarness.Run("compare", models.Float, models.Quantized, "--data", "npy=" + npy, "--threads", "1"), 6,
            "sample 2: input 'input' contains NaN (element 9)");
    }

    [Fact]
    public void Compare_ModelsWithDifferentInputs_NamesTheFileAndBothInputs()
    {
        string dense = h.Save(CliHarness.DenseModel(), "dense.onnx");
        QuantizeCommandTests.AssertError(CliHarness.Run("compare", models.Float, dense, "--data", "fashion-mnist-1k"), 6,
            $"{dense}: has no input 'input'", "inputs differ", "x float32 [batch,16]", "input float32 [N,1,28,28]");
    }

    [Fact]
    public void Compare_SuggestedExcludes_AreAcceptedByQuantize()
    {
        var c = CliHarness.Run("compare", models.Float, models.Quantized, "--data", "fashion-mnist-1k", "--samples", "8", "--threads", "1", "--json");
        Assert.True(c.Code == 0, c.Err);
        var flags = c.Json().GetProperty("exclude_flags").GetString()!.Split(' ');
        var q = CliHarness.Run(["quantize", models.Float, "--out", h.PathOf("x.onnx"), "--calib-data", "fashion-mnist-1k", "--calib-samples", "16",
            "--threads", "1", "--json", .. flags]);
        Assert.True(q.Code == 0, q.Err);
        int floats = q.Json().GetProperty("float_nodes").GetInt32();
        Assert.True(floats >= flags.Length / 2, $"{floats} float nodes after excluding {flags.Length / 2}");
    }

    [Fact]
    public void Compare_Human_PrintsTablesAndSuggestion()
    {
        var r = CliHarness.Run("compare", models.Float, models.Quantized, "--data", "fashion-mnist-1k", "--samples", "8", "--threads", "1", "--rows", "5");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("per-tensor error, worst first", r.Out);
        Assert.Contains("error attribution on the first 8 samples", r.Out);
        Assert.Contains("--exclude ", r.Out);
        // Both tables are cut at 5 rows (≥ 20 tensors, ≥ 6 attributed nodes) and each says how many rows it left out.
        Assert.Equal(2, r.Out.Split('\n').Count(l => l.Contains(" more row") && l.Contains("(--rows N, or --json for all)")));
    }

    [Fact]
    public void Compare_Report_WritesSelfContainedHtml()
    {
        string dir = h.PathOf("cmp");
        var r = CliHarness.Run("compare", models.Float, models.Quantized, "--data", "fashion-mnist-1k", "--samples", "8", "--threads", "1",
            "--no-attribution", "--report", dir, "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal(JsonValueKind.Null, j.GetProperty("attribution").ValueKind);
        ReportAssert.SelfContained(j.GetProperty("report").GetString()!);
        Assert.True(File.Exists(Path.Combine(dir, "report.json")));
    }

    [Fact]
    public void Compare_DataDoesNotFit_OneLineError()
    {
        var r = CliHarness.Run("compare", models.Float, models.Quantized, "--data", "random:4", "--samples", "4");
        Assert.True(r.Code == 0, r.Err);  // random data takes the model's sample shape
        string npy = h.SaveNpy("bad.npy", Tensors.Tensor.FromArray(new float[2 * 10], 2, 10));
        QuantizeCommandTests.AssertError(CliHarness.Run("compare", models.Float, models.Quantized, "--data", "npy=" + npy), 6, "--data", "expects float32");
    }

    [Fact]
    public void Compare_MissingQuantizedModel_FileNotFound()
        => Assert.Equal(3, CliHarness.Run("compare", models.Float, h.PathOf("nope.onnx"), "--data", "fashion-mnist-1k").Code);
}
