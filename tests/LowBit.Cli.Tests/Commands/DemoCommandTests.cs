namespace LowBit.Cli.Tests.Commands;

public class DemoCommandTests(QuantModelsFixture models) : IClassFixture<QuantModelsFixture>, IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static readonly string[] Reduced = ["--calib-samples", "32", "--eval-samples", "64", "--compare-samples", "8", "--bench-seconds", "0.3", "--threads", "1"];

    [Fact]
    public void Demo_Reduced_TableOfFiveSchemesAndSelfContainedReport()
    {
        string dir = h.PathOf("demo");
        var r = CliHarness.Run(["demo", "--model", models.Float, "--out", dir, "--json", .. Reduced]);
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        var rows = j.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["fp32", "w8a8", "w8a8-per-tensor", "w4a8", "w8-weight-only"], rows.Select(x => x.GetProperty("id").GetString()));
        Assert.Equal(64, j.GetProperty("eval_samples").GetInt32());
        Assert.True(Path.IsPathRooted(j.GetProperty("model").GetString()));
        foreach (var row in rows.Skip(1))
        {
            Assert.True(Path.IsPathRooted(row.GetProperty("file").GetString()), "JSON paths are absolute");
            Assert.True(File.Exists(row.GetProperty("file").GetString()));
            Assert.Equal(Path.Combine(dir, row.GetProperty("id").GetString()!, "index.html"), row.GetProperty("report").GetString());
            Assert.InRange(row.GetProperty("size_ratio").GetDouble(), 0.05, 0.3);  // 8- or 4-bit weights
            Assert.True(row.GetProperty("latency_ms").GetDouble() > 0);
            ReportAssert.SelfContained(Path.Combine(dir, row.GetProperty("id").GetString()!, "index.html"));
        }
        double w4 = rows.Single(x => x.GetProperty("id").GetString() == "w4a8").GetProperty("size_ratio").GetDouble();
        double w8 = rows.Single(x => x.GetProperty("id").GetString() == "w8a8").GetProperty("size_ratio").GetDouble();
        Assert.True(w4 < w8 * 0.7, $"int4 file {w4} vs int8 {w8}");
        ReportAssert.SelfContained(Path.Combine(dir, "index.html"));
        Assert.Contains("href=\"w4a8/index.html\"", File.ReadAllText(Path.Combine(dir, "index.html")));  // links stay relative
        Assert.True(File.Exists(Path.Combine(dir, "demo.json")));
        Assert.False(File.Exists(Path.Combine(dir, "models", "calibration.json")));  // the shared calibration cache is removed
    }

    [Fact]
    public void Demo_Human_PrintsTheTable()
    {
        var r = CliHarness.Run(["demo", "--model", models.Float, "--out", h.PathOf("d"), .. Reduced]);
        Assert.True(r.Code == 0, r.Err);
        foreach (var s in new[] { "FP32", "W8A8 per-channel", "W8A8 per-tensor", "W4A8", "W8 weight-only", "Δ vs FP32", "ORT latency", "index.html" })
            Assert.Contains(s, r.Out);
    }

    /// <summary>The real thing: the shipped trained model, found from the test's output folder like from the CLI's.</summary>
    [CommittedModelFact]
    public void Demo_ShippedModel_FoundWithoutArgumentsAndKeepsAccuracy()
    {
        var r = CliHarness.Run(["demo", "--out", h.PathOf("shipped"), "--json", .. Reduced]);
        Assert.True(r.Code == 0, r.Err);
        var rows = r.Json().GetProperty("rows").EnumerateArray().ToList();
        Assert.True(rows[0].GetProperty("accuracy").GetDouble() > 0.8, "the trained model classifies");
        // W8A8 per-channel on 64 images: at most 2 images (3.1 points) flip; a broken quantizer loses far more.
        Assert.InRange(rows[1].GetProperty("accuracy_delta").GetDouble(), -0.032, 0.032);
    }

    [Fact]
    public void Demo_ModelWithAnotherInput_NamesTheFlagAndPrintsNothing()
    {
        string dense = h.Save(CliHarness.DenseModel(), "dense.onnx");
        string dir = h.PathOf("dense-demo");
        QuantizeCommandTests.AssertError(CliHarness.Run("demo", "--model", dense, "--out", dir), 6,
            $"error: --model {dense}: model input 'x' expects float32 [batch,16]; fashion-mnist-1k gives float32 samples [1,28,28]");
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Demo_AlreadyQuantizedModel_LeavesNothingBehind()
    {
        string dir = h.PathOf("d2");
        QuantizeCommandTests.AssertError(CliHarness.Run(["demo", "--model", models.Quantized, "--out", dir, .. Reduced]), 6,
            $"error: --model {models.Quantized}: the model is already quantized");
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task Demo_CancelledAfterWritingStarted_RemovesTheFoldersItCreated()
    {
        // Cancel as soon as the run has created DIR/models (validation passed, quantizing begins): the run stops at its
        // next safe point and removes DIR, which it created.
        string dir = h.PathOf("cancelled");
        using var cts = new CancellationTokenSource();
        bool done = false;
        var watcher = Task.Run(async () =>
        {
            var limit = DateTime.UtcNow.AddMinutes(2);
            while (!Volatile.Read(ref done) && DateTime.UtcNow < limit && !Directory.Exists(Path.Combine(dir, "models"))) await Task.Delay(5);
            cts.Cancel();
        });
        var r = CliHarness.RunWith(cts.Token, ["demo", "--model", models.Float, "--out", dir, .. Reduced]);
        Volatile.Write(ref done, true);
        await watcher;
        Assert.True(r.Code == 130, $"exit {r.Code}: {r.Err}");
        Assert.Equal("", r.Out);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Demo_OutIsAFile_UsageError()
    {
        string file = h.PathOf("file");
        File.WriteAllText(file, "x");
        QuantizeCommandTests.AssertError(CliHarness.Run("demo", "--model", models.Float, "--out", file), 2, "--out", "is a file");
    }
}
