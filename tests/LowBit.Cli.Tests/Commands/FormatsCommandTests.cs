using System.Text.Json;
using LowBit.Graph;
using LowBit.Nn.Zoo;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Commands;

/// <summary>One <c>lowbit formats --json</c> run on the zoo's fashion-cnn (seeded, untrained weights: these tests check the
/// command, not accuracy) with the committed Fashion-MNIST subset, shared by the tests that read its rows.</summary>
public sealed class FormatsRunFixture : IDisposable
{
    private readonly CliHarness h = new();
    public static readonly string[] Formats = ["int8", "int4", "nf4", "int2", "ternary", "fp8-e4m3"];
    public string Model { get; }
    public CliResult Result { get; }

    public FormatsRunFixture()
    {
        Model = h.Save(ModelZoo.Build("fashion-cnn"), "fcnn.onnx");
        Result = CliHarness.Run("formats", Model, "--data", "fashion-mnist-1k", "--formats", string.Join(",", Formats), "--eval-samples", "32",
            "--bench-seconds", "0.1", "--threads", "1", "--json");
    }

    public Dictionary<string, JsonElement> Rows() =>
        Result.Json().GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("format").GetString()!);

    public void Dispose() => h.Dispose();
}

public class FormatsCommandTests(FormatsRunFixture run) : IClassFixture<FormatsRunFixture>, IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static double D(JsonElement row, string name) => row.GetProperty(name).GetDouble();

    [Fact]
    public void Formats_Json_OneRowPerFormatInOrder()
    {
        Assert.True(run.Result.Code == 0, run.Result.Err);
        var rows = run.Result.Json().GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("format").GetString()).ToList();
        Assert.Equal(FormatsRunFixture.Formats, rows);
        Assert.Equal(32, run.Result.Json().GetProperty("eval_samples").GetInt64());
        Assert.True(D(run.Result.Json(), "float_latency_ms") > 0);
        // Quantized files live in a temp folder that is gone at the end: the rows name no file.
        Assert.All(run.Rows().Values, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("file").ValueKind));
    }

    [Fact]
    public void Formats_WeightSqnr_FallsWithBits()
    {
        var r = run.Rows();
        // Round to nearest: each bit removed costs about 6 dB of weight SQNR; 4 dB per bit leaves room for MSE clipping.
        Assert.True(D(r["int8"], "weight_sqnr_db") > D(r["int4"], "weight_sqnr_db") + 16, $"int8 {D(r["int8"], "weight_sqnr_db")} vs int4 {D(r["int4"], "weight_sqnr_db")}");
        Assert.True(D(r["int4"], "weight_sqnr_db") > D(r["int2"], "weight_sqnr_db") + 8, $"int4 {D(r["int4"], "weight_sqnr_db")} vs int2 {D(r["int2"], "weight_sqnr_db")}");
        Assert.True(D(r["int8"], "output_sqnr_db") > D(r["int2"], "output_sqnr_db"));
        Assert.InRange(D(r["nf4"], "weight_sqnr_db"), D(r["int4"], "weight_sqnr_db") - 6, D(r["int4"], "weight_sqnr_db") + 6);
        foreach (var f in new[] { "int8", "int4", "nf4", "int2", "ternary" })
            Assert.Equal(r["int8"].GetProperty("weights").GetInt64(), r[f].GetProperty("weights").GetInt64());  // every row pools the same weights
    }

    [Fact]
    public void Formats_BitsAndSize_FollowTheFormat()
    {
        var r = run.Rows();
        // group:32 with float32 scales adds 32/32 = 1 bit per weight (plus zero points and unpack constants): b + 1 .. b + 1.5.
        Assert.InRange(D(r["int8"], "bits_per_weight"), 9, 9.5);
        Assert.InRange(D(r["int4"], "bits_per_weight"), 5, 5.5);
        Assert.InRange(D(r["ternary"], "bits_per_weight"), 3, 3.5);  // packed at 2 bits per code
        Assert.True(D(r["int8"], "size_ratio") > D(r["int4"], "size_ratio") && D(r["int4"], "size_ratio") > D(r["ternary"], "size_ratio"));
        Assert.True(D(r["int8"], "size_ratio") < 0.35, "8-bit weights: under a third of the float file");
    }

    [Fact]
    public void Formats_RefusedCombination_RowCarriesTheReason()
    {
        var fp8 = run.Rows()["fp8-e4m3"];
        Assert.Contains("per-channel", fp8.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, fp8.GetProperty("bits_per_weight").ValueKind);
        Assert.Equal(JsonValueKind.Null, run.Rows()["nf4"].GetProperty("error").ValueKind);
        // One progress line before and one after each format on stderr.
        Assert.Equal(2 * FormatsRunFixture.Formats.Length, run.Result.ErrLines.Count(l => l.StartsWith("lowbit: [", StringComparison.Ordinal)));
    }

    [Fact]
    public void Formats_TwoBitConvWeights_HalfTheBytesOfFourBit()
    {
        // Conv weights (no MatMulNBits): codes packed at their width, the same group scales: int2 ≈ int4 − 2 bits per weight.
        string model = h.Save(ConvModel(), "conv.onnx");
        var r = CliHarness.Run("formats", model, "--data", "random:8", "--formats", "int4,int2", "--bench-seconds", "0", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var rows = r.Json().GetProperty("rows").EnumerateArray().ToDictionary(x => x.GetProperty("format").GetString()!);
        double b4 = D(rows["int4"], "bits_per_weight"), b2 = D(rows["int2"], "bits_per_weight");
        Assert.InRange(b4 - b2, 1.8, 2.2);
        Assert.Equal(JsonValueKind.Null, r.Json().GetProperty("float_latency_ms").ValueKind);  // --bench-seconds 0 skips timing
    }

    [Fact]
    public void Formats_BitsFilter_KeepsOnlyThatWidth()
    {
        var r = CliHarness.Run("formats", run.Model, "--data", "fashion-mnist-1k", "--formats", "int8,int4,nf4", "--bits", "4", "--eval-samples", "8",
            "--bench-seconds", "0", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(["int4", "nf4"], r.Json().GetProperty("rows").EnumerateArray().Select(x => x.GetProperty("format").GetString()));
    }

    [Fact]
    public void Formats_UnknownFormat_UsageErrorNamingTheKnownOnes()
    {
        var r = CliHarness.Run("formats", run.Model, "--data", "fashion-mnist-1k", "--formats", "int4,int9");
        Assert.Equal((int)ErrorKind.Usage, r.Code);
        Assert.Single(r.ErrLines);
        Assert.Contains("int9", r.Err);
        Assert.Contains("nf4", r.Err);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Formats_Human_TableWithReasonAndKeptFiles()
    {
        string keep = h.PathOf("kept");
        var r = CliHarness.Run("formats", run.Model, "--data", "fashion-mnist-1k", "--formats", "int4,fp8-e4m3", "--eval-samples", "8",
            "--bench-seconds", "0", "--threads", "1", "--keep", keep);
        Assert.True(r.Code == 0, r.Err);
        foreach (var s in new[] { "float32", "int4", "weight SQNR", "bits/weight", "per-tensor or per-channel", keep })
            Assert.Contains(s, r.Out);
        Assert.True(File.Exists(Path.Combine(keep, "fcnn.int4.onnx")));
        Assert.False(File.Exists(Path.Combine(keep, "fcnn.fp8-e4m3.onnx")));  // a refused format leaves no file
    }

    [Fact]
    public void Formats_KeepFolderNotEmpty_RefusedBeforeAnyWork()
    {
        string keep = h.PathOf("full");
        Directory.CreateDirectory(keep);
        File.WriteAllText(Path.Combine(keep, "mine.txt"), "x");
        var r = CliHarness.Run("formats", run.Model, "--data", "fashion-mnist-1k", "--formats", "int4", "--keep", keep);
        Assert.Equal((int)ErrorKind.UnsafePath, r.Code);
        Assert.Contains("not empty", r.Err);
        Assert.Equal(["mine.txt"], Directory.GetFiles(keep).Select(Path.GetFileName));
    }

    [Fact]
    public void Formats_Cancelled_LeavesNoFilesBehind()
    {
        string keep = h.PathOf("cancelled");
        using var cts = new CancellationTokenSource();
        var err = new CancelOnLine("[2/3]", cts);
        int code = CliApp.Run(["formats", run.Model, "--data", "fashion-mnist-1k", "--formats", "int8,int4,int2", "--eval-samples", "8",
            "--threads", "1", "--keep", keep], new StringWriter(), err, cts.Token);
        Assert.Equal(ErrorBoundary.Cancelled, code);
        Assert.False(Directory.Exists(keep), "the --keep folder the run created is removed");
    }

    private sealed class CancelOnLine(string trigger, CancellationTokenSource cts) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.Contains(trigger, StringComparison.Ordinal)) cts.Cancel();
        }
    }

    /// <summary>x [N,32,8,8] → Conv(W [64,32,3,3], seeded) → y: 18,432 weights, enough that packing pays (≥ 1 KB saved).</summary>
    private static Graph.Graph ConvModel()
    {
        var rng = new Random(7);
        var g = new Graph.Graph { Name = "conv" };
        g.Inputs.Add(new ValueInfo("x", DType.Float32, [Dim.Symbolic("batch"), Dim.Known(32), Dim.Known(8), Dim.Known(8)]));
        g.Outputs.Add(new ValueInfo("y", DType.Float32, [Dim.Symbolic("batch"), Dim.Known(64), Dim.Known(6), Dim.Known(6)]));
        g.Initializers["W"] = Tensor.FromArray(Enumerable.Range(0, 64 * 32 * 9).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), 64, 32, 3, 3);
        g.Add("Conv", ["x", "W"], ["y"], "conv");
        g.Opsets[""] = 17;
        return g;
    }
}

/// <summary><c>lowbit formats</c> on a character language model: perplexity is the task metric, as in <c>lowbit eval</c>.</summary>
public class FormatsLanguageModelTests(TrainedModelsFixture models) : IClassFixture<TrainedModelsFixture>
{
    [Fact]
    public void Formats_LanguageModel_PerplexityPerFormat()
    {
        var r = CliHarness.Run("formats", models.LanguageModel, "--data", $"text={models.Corpus}", "--formats", "int8,int2", "--eval-samples", "16",
            "--bench-seconds", "0", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        double f = j.GetProperty("float_perplexity").GetDouble();
        var rows = j.GetProperty("rows").EnumerateArray().ToDictionary(x => x.GetProperty("format").GetString()!, x => x.GetProperty("perplexity").GetDouble());
        Assert.True(f > 1, "perplexity of a real model is above 1");
        // int8 weights barely move the logits (≤ 2 % perplexity); int2 weights move them visibly more than int8's.
        Assert.InRange(rows["int8"], f * 0.98, f * 1.02);
        Assert.True(Math.Abs(rows["int2"] - f) > Math.Abs(rows["int8"] - f), $"float {f}, int8 {rows["int8"]}, int2 {rows["int2"]}");
    }

    [Fact]
    public void Formats_LanguageModel_ImageDataRefused()
    {
        var r = CliHarness.Run("formats", models.LanguageModel, "--data", "fashion-mnist-1k", "--formats", "int8");
        Assert.Equal((int)ErrorKind.InvalidInput, r.Code);
        Assert.Contains("text=FILE", Assert.Single(r.ErrLines));
    }
}
