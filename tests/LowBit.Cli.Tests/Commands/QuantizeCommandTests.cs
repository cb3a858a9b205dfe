using System.Security.Cryptography;
using System.Text.Json;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Commands;

public class QuantizeCommandTests(QuantModelsFixture models) : IClassFixture<QuantModelsFixture>, IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    internal static void AssertError(CliResult r, int code, params string[] mentions)
    {
        Assert.True(code == r.Code, $"exit {r.Code}, expected {code}: {r.Err}");
        Assert.Equal("", r.Out);
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("error: ", line);
        foreach (var m in mentions) Assert.Contains(m, line);
    }

    private CliResult Quantize(params string[] extra) =>
        CliHarness.Run(["quantize", models.Float, "--threads", "1", .. extra]);

    private static int Count(JsonElement ops, string op, string field) =>
        ops.EnumerateArray().Where(o => o.GetProperty("op").GetString() == op).Sum(o => o.GetProperty(field).GetInt32());

    [Fact]
    public void Quantize_StaticW8A8_WritesModelManifestAndJson()
    {
        string output = h.PathOf("q.onnx");
        var r = Quantize("--out", output, "--calib-data", "fashion-mnist-1k", "--calib-samples", "24", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("quantize", j.GetProperty("command").GetString());
        Assert.Equal("static", j.GetProperty("mode").GetString());
        Assert.StartsWith("int8 per-channel symmetric", j.GetProperty("weights").GetString());
        Assert.Contains("uint8 asymmetric mse", j.GetProperty("activations").GetString());  // the CLI's default observer
        Assert.True(File.Exists(output));
        Assert.True(File.Exists(j.GetProperty("manifest").GetString()));
        Assert.Equal(24, j.GetProperty("calibration").GetProperty("samples").GetInt32());
        Assert.Equal("fashion-mnist-1k[0:24]", j.GetProperty("calibration").GetProperty("data").GetString());
        var ops = j.GetProperty("ops");
        Assert.Equal(4, Count(ops, "Conv", "quantized"));
        Assert.Equal(2, Count(ops, "Gemm", "quantized"));
        Assert.False(string.IsNullOrWhiteSpace(j.GetProperty("cpu").GetProperty("reason").GetString()));
        // int8 weights: the file holds ≈ ¼ of the float bytes (plus scales and graph overhead)
        double ratio = j.GetProperty("size").GetProperty("ratio").GetDouble();
        Assert.InRange(ratio, 0.2, 0.3);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("report").ValueKind);
    }

    [Theory]
    [InlineData(new string[] { "--reduce-range" }, "int8 per-channel symmetric mse (7-bit: reduce-range)")]
    [InlineData(new string[] { "--reduce-range", "true", "--weight-range", "minmax" }, "int8 per-channel symmetric (7-bit: reduce-range)")]
    [InlineData(new string[] { "--reduce-range", "false" }, "int8 per-channel symmetric")]
    public void Quantize_ReduceRange_SevenBitWeightsDefaultToMseRanges(string[] flags, string weights)
    {
        var r = Quantize(["--out", h.PathOf("rr.onnx"), "--calib-data", "fashion-mnist-1k", "--calib-samples", "16", "--json", .. flags]);
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal(weights, j.GetProperty("weights").GetString());
        Assert.Equal(flags[^1] != "false", j.GetProperty("cpu").GetProperty("reduce_range").GetBoolean());
    }

    [Theory]
    [InlineData(new string[] { "--weights", "int4", "--activations", "none" }, "int4 group:32 symmetric mse")]
    [InlineData(new string[] { "--weights", "int4", "--activations", "none", "--weight-range", "minmax" }, "int4 group:32 symmetric")]
    [InlineData(new string[] { "--weights", "int8", "--activations", "none" }, "int8 group:32 symmetric")]
    public void Quantize_FourBitWeights_DefaultToMseRanges(string[] flags, string weights)
    {
        var r = Quantize(["--out", h.PathOf("w.onnx"), "--json", .. flags]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(weights, r.Json().GetProperty("weights").GetString());
    }

    [Fact]
    public void Quantize_HumanOutput_SaysCpuDecisionOpCountsAndSize()
    {
        var r = Quantize("--out", h.PathOf("q.onnx"), "--calib-data", "fashion-mnist-1k", "--calib-samples", "16");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("CPU: ", r.Out);
        Assert.Contains("weights", r.Out);
        Assert.Contains("│ Conv", r.Out);
        Assert.Contains("Size: ", r.Out);
        Assert.Contains("Calibration: 16 samples", r.Out);
    }

    [Fact]
    public void Quantize_WeightOnlyInt4Group_NeedsNoCalibrationAndShrinks()
    {
        var r = Quantize("--out", h.PathOf("w4.onnx"), "--weights", "int4", "--granularity", "group:32", "--activations", "none", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("weight-only", j.GetProperty("mode").GetString());
        Assert.Equal(JsonValueKind.Null, j.GetProperty("calibration").ValueKind);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("activations").ValueKind);
        Assert.InRange(j.GetProperty("size").GetProperty("ratio").GetDouble(), 0.05, 0.2);  // 4-bit codes + one scale per 32
    }

    [Fact]
    public void Quantize_ExcludeOpTypeAndRecipe_KeepThoseNodesFloat()
    {
        string recipe = h.PathOf("recipe.json");
        File.WriteAllText(recipe, """{ "nodes": { "block1.conv1": "float" } }""");
        var r = Quantize("--out", h.PathOf("x.onnx"), "--calib-data", "fashion-mnist-1k", "--calib-samples", "16", "--exclude", "Gemm", "--recipe", recipe, "--json");
        Assert.True(r.Code == 0, r.Err);
        var ops = r.Json().GetProperty("ops");
        Assert.Equal(0, Count(ops, "Gemm", "quantized"));
        Assert.Equal(2, Count(ops, "Gemm", "float"));
        Assert.Equal(3, Count(ops, "Conv", "quantized"));  // 4 convs, block1.conv1 kept float by the recipe
    }

    [Fact]
    public void Quantize_CalibCache_SecondRunHits()
    {
        string cache = h.PathOf("calib.json");
        string[] args = ["--calib-data", "fashion-mnist-1k", "--calib-samples", "16", "--calib-cache", cache, "--json"];
        var first = Quantize(["--out", h.PathOf("a.onnx"), .. args]);
        Assert.True(first.Code == 0, first.Err);
        Assert.Equal("miss", first.Json().GetProperty("calibration").GetProperty("cache").GetString());
        var second = Quantize(["--out", h.PathOf("b.onnx"), .. args]);
        Assert.True(second.Code == 0, second.Err);
        Assert.Equal("hit", second.Json().GetProperty("calibration").GetProperty("cache").GetString());
    }

    [Fact]
    public void Quantize_Report_WritesSelfContainedHtmlJsonAndPlots()
    {
        string dir = h.PathOf("report");
        var r = Quantize("--out", h.PathOf("r.onnx"), "--calib-data", "fashion-mnist-1k", "--calib-samples", "32", "--eval-samples", "64",
            "--compare-samples", "8", "--bench-seconds", "0.2", "--report", dir, "--json");
        Assert.True(r.Code == 0, r.Err);
        var rep = r.Json().GetProperty("report");
        // held-out = the samples after the 32 calibration ones; fashion-mnist-1k has labels, so both accuracies are there
        Assert.Equal(JsonValueKind.Number, rep.GetProperty("float_accuracy").ValueKind);
        Assert.Equal(JsonValueKind.Number, rep.GetProperty("quantized_accuracy").ValueKind);
        Assert.InRange(rep.GetProperty("cosine_mean").GetDouble(), 0.9, 1.0);
        Assert.True(rep.GetProperty("latency_ratio").GetDouble() > 0);
        ReportAssert.SelfContained(Path.Combine(dir, "index.html"));
        Assert.True(File.Exists(Path.Combine(dir, "report.json")));
        Assert.Contains(Directory.GetFiles(Path.Combine(dir, "plots")), p => p.EndsWith("layer-sqnr.png"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
        Assert.Equal(64, doc.RootElement.GetProperty("fidelity").GetProperty("samples").GetInt64());
        Assert.True(doc.RootElement.GetProperty("layers").GetProperty("layers").GetArrayLength() > 0);
        Assert.True(doc.RootElement.GetProperty("latency").GetProperty("beforeMs").GetDouble() > 0);
    }

    [Fact]
    public void Quantize_TooFewCalibrationSamples_WarnsWithTheCount()
    {
        var r = Quantize("--out", h.PathOf("few.onnx"), "--calib-data", "fashion-mnist-1k", "--calib-samples", "3");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains(r.ErrLines, l => l.StartsWith("warning: ") && l.Contains("calibrated on 3 samples"));
    }

    [Fact]
    public void Quantize_MoreSamplesThanTheDataHas_WarnsWithTheCount()
    {
        string npy = h.SaveNpy("four.npy", Tensor.FromArray(new float[4 * 784], 4, 1, 28, 28));
        var r = Quantize("--out", h.PathOf("m.onnx"), "--calib-data", "npy=" + npy, "--calib-samples", "100");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains(r.ErrLines, l => l.Contains("has only 4 samples"));
    }

    [Fact]
    public void Quantize_OutEqualsInput_RefusedAndInputUntouched()
    {
        string copy = h.PathOf("same.onnx");
        File.Copy(models.Float, copy);
        var before = SHA256.HashData(File.ReadAllBytes(copy));
        var r = CliHarness.Run("quantize", copy, "--out", Path.Combine(h.Dir, ".", "same.onnx"), "--calib-data", "fashion-mnist-1k");
        AssertError(r, 7, "--out", "is the input model");
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(copy)));
    }

    [Fact]
    public void Quantize_NaNInCalibrationData_NamesSampleAndTensorAndKeepsOldOutput()
    {
        var data = new float[6 * 784];
        data[3 * 784 + 100] = float.NaN;
        string npy = h.SaveNpy("nan.npy", Tensor.FromArray(data, 6, 1, 28, 28));
        string output = h.PathOf("kept.onnx");
        File.WriteAllText(output, "previous");
        var r = Quantize("--out", output, "--force", "--calib-data", "npy=" + npy);
        AssertError(r, 6, "sample 3", "'input'", "NaN");
        Assert.Equal("previous", File.ReadAllText(output));  // nothing half-written over it
        Assert.False(File.Exists(h.PathOf("kept.lowbit.json")));
    }

    [Fact]
    public void Quantize_RelativePaths_AreAbsoluteInJson()
    {
        // model, out, manifest and report alike: full paths, whatever the command line gave.
        string Relative(string p) => Path.GetRelativePath(Directory.GetCurrentDirectory(), p);
        var r = CliHarness.Run("quantize", Relative(models.Float), "--out", Relative(h.PathOf("rel.onnx")), "--mode", "dynamic", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal(models.Float, j.GetProperty("model").GetString());
        Assert.Equal(h.PathOf("rel.onnx"), j.GetProperty("out").GetString());
        Assert.Equal(h.PathOf("rel.lowbit.json"), j.GetProperty("manifest").GetString());
    }

    [Fact]
    public void Quantize_AlreadyQuantizedModel_NamesTheFile()
        => AssertError(CliHarness.Run("quantize", models.Quantized, "--out", h.PathOf("again.onnx"), "--mode", "dynamic"), 6,
            $"{models.Quantized}: the model is already quantized");

    [Fact]
    public void Quantize_MissingDataFolder_SaysTheSpecOnce()
    {
        string missing = h.PathOf("nowhere");
        var r = Quantize("--out", h.PathOf("n.onnx"), "--calib-data", "images=" + missing);
        AssertError(r, 3, $"--calib-data images={missing}: ");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(r.Err, "images="));
    }

    [Fact]
    public void Quantize_DataShapeDoesNotFit_SaysWhatWasExpected()
    {
        string npy = h.SaveNpy("rgb.npy", Tensor.FromArray(new float[2 * 3 * 32 * 32], 2, 3, 32, 32));
        var r = Quantize("--out", h.PathOf("s.onnx"), "--calib-data", "npy=" + npy);
        AssertError(r, 6, "--calib-data npy=", "expects float32 [", "1,28,28]", "[3,32,32]");
    }

    [Fact]
    public void Quantize_DataDtypeDoesNotFit_SaysWhatWasExpected()
    {
        // Token ids must not be guessed from reals: a float file for an int64 input is refused (random data is drawn as int64).
        string model = h.Save(QuantModelsFixture.Int64Input(), "ids.onnx");
        string npy = h.SaveNpy("ids.npy", Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 2, 4));
        var r = CliHarness.Run("quantize", model, "--out", h.PathOf("ids.q.onnx"), "--calib-data", "npy=" + npy);
        AssertError(r, 6, "--calib-data npy=", "input 'ids' expects int64", "float32", "astype(np.int64)");
    }

    [Theory]
    [InlineData("--weights", "int9", "int8")]
    [InlineData("--activations", "fp7", "uint8")]
    [InlineData("--calibration", "kl", "entropy")]
    [InlineData("--scheme", "skewed", "asymmetric")]
    [InlineData("--granularity", "per-row", "per-channel")]
    [InlineData("--mode", "fancy", "weight-only")]
    [InlineData("--weight-range", "max", "mse")]
    public void Quantize_UnknownName_ListsTheKnownOnes(string flag, string value, string known)
    {
        var r = Quantize("--out", h.PathOf("u.onnx"), "--calib-data", "fashion-mnist-1k", flag, value);
        AssertError(r, 2, flag, value, known);
    }

    [Theory]
    [InlineData("--activations", "nf4")]
    [InlineData("--weights", "fp8-e4m3")]
    [InlineData("--activations", "fp4")]
    public void Quantize_FormatWithoutIntegerStorage_ListsTheStorableOnes(string flag, string value)
    {
        // fp4/nf4 are lookup formats (weights only) and FP8 weights are refused in static mode (ONNX Runtime fuses them
        // into kernels without float8): a one-line usage error naming the format and integer formats that work, not a crash.
        var r = Quantize("--out", h.PathOf("f.onnx"), "--calib-data", "fashion-mnist-1k", flag, value);
        AssertError(r, 2, value, "int8", "uint8");
    }

    [Fact]
    public void Quantize_FormatTheOpCannotTake_ListsTheOnesItCan()
    {
        var r = Quantize("--out", h.PathOf("d.onnx"), "--mode", "dynamic", "--weights", "int4");
        AssertError(r, 2, "dynamic mode", "int4", "int8");
    }

    [Fact]
    public void Quantize_StaticWithoutCalibrationData_IsAUsageError()
        => AssertError(Quantize("--out", h.PathOf("n.onnx")), 2, "--calib-data");

    [Fact]
    public void Quantize_UnknownExcludedNode_ListsTheModelsNodes()
        => AssertError(Quantize("--out", h.PathOf("n.onnx"), "--calib-data", "fashion-mnist-1k", "--exclude", "block9.conv"), 2, "block9.conv", "block1.conv1");

    [Fact]
    public void Quantize_Help_ListsKnownValues()
    {
        var r = CliHarness.Run("quantize", "--help");
        Assert.Equal(0, r.Code);
        foreach (var known in new[] { "int4", "uint8", "entropy", "percentile", "per-channel", "group:N", "weight-only", "dynamic" })
            Assert.Contains(known, r.Out);
    }
}

/// <summary>Checks on written HTML reports.</summary>
internal static class ReportAssert
{
    /// <summary>The page opens offline: no script, every image inline, no http(s) resource.</summary>
    public static void SelfContained(string html)
    {
        Assert.True(File.Exists(html), html);
        string s = File.ReadAllText(html);
        Assert.StartsWith("<!DOCTYPE html>", s);
        Assert.DoesNotContain("<script", s, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=\"http", s, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", s, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("src=\"data:image/png;base64,", s);
        foreach (var src in System.Text.RegularExpressions.Regex.Matches(s, "src=\"([^\"]*)\"").Select(m => m.Groups[1].Value))
            Assert.StartsWith("data:", src);
    }
}
