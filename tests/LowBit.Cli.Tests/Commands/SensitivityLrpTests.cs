using LowBit.Data;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit sensitivity --method lrp</c> on the committed, trained fashion-cnn with the committed Fashion-MNIST
/// subset, small sample counts (docs/mixed-precision.md has the measured rank agreements).</summary>
public class SensitivityLrpTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static string Model => Path.Combine(Assets.Find("fashion-cnn")!, "fashion-cnn.onnx");
    private static readonly string[] Small = ["--calib-samples", "8", "--samples", "32", "--threads", "2"];
    private static readonly string[] Weighted = ["block1.conv1", "block1.conv2", "block2.conv1", "block2.conv2", "head.fc1", "head.fc2"];

    [CommittedModelFact]
    public void Sensitivity_Lrp_Json_RelevanceSumsToOne_ScoresRiseWithFewerBits_AndAreRanked()
    {
        var r = CliHarness.Run(["sensitivity", Model, "--data", "fashion-mnist-1k", "--formats", "int4,int2", "--method", "lrp",
            "--eval", "fashion-mnist-1k", "--eval-samples", "64", "--json", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal(["lrp"], j.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        var layers = j.GetProperty("layers").EnumerateArray().ToList();
        var int4 = layers.Where(l => l.GetProperty("format").GetString() == "int4").ToList();
        Assert.Equal(Weighted, int4.Where(l => l.GetProperty("parameters").GetInt64() > 0).Select(l => l.GetProperty("node").GetString()).Order());
        // Normalized over the weighted layers; layers without weights (pooling) carry none.
        Assert.Equal(1.0, int4.Sum(l => l.GetProperty("relevance").GetDouble()), 9);
        Assert.All(int4.Where(l => l.GetProperty("parameters").GetInt64() == 0), l => Assert.Equal(0, l.GetProperty("lrp").GetDouble()));
        foreach (var node in Weighted)
        {
            var (a, b) = (int4.Single(l => l.GetProperty("node").GetString() == node),
                layers.Single(l => l.GetProperty("node").GetString() == node && l.GetProperty("format").GetString() == "int2"));
            Assert.True(a.GetProperty("relevance").GetDouble() > 0, node);
            Assert.Equal(a.GetProperty("relevance").GetDouble(), b.GetProperty("relevance").GetDouble(), 12);
            // R_l times the output noise power, which two bits fewer raise by ≥ 12 dB for weights (activations stay uint8).
            Assert.Equal(a.GetProperty("relevance").GetDouble() * a.GetProperty("noise").GetDouble(), a.GetProperty("lrp").GetDouble(), 12);
            Assert.True(b.GetProperty("lrp").GetDouble() > 2 * a.GetProperty("lrp").GetDouble(), node);
        }
        var agreement = j.GetProperty("agreement").EnumerateArray().ToList();
        Assert.Equal(2, agreement.Count);
        Assert.All(agreement, a => Assert.Equal("lrp", a.GetProperty("method").GetString()));
        Assert.All(agreement, a => Assert.Equal(6, a.GetProperty("layers").GetInt32()));
        // int2 single-layer losses differ by an order of magnitude between layers; the lrp ranking must follow them.
        var int2 = agreement.Single(a => a.GetProperty("format").GetString() == "int2");
        Assert.True(int2.GetProperty("rho_loss").GetDouble() > 0, int2.ToString());
    }

    [CommittedModelFact]
    public void Sensitivity_Lrp_Table_HasTheLrpColumn()
    {
        var r = CliHarness.Run(["sensitivity", Model, "--data", "fashion-mnist-1k", "--formats", "int2", "--method", "lrp,kl", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("most sensitive first (by lrp)", r.Out);
        Assert.Contains(" LRP ", r.Out);
        Assert.Contains("head.fc1", r.Out);
    }

    [CommittedModelFact]
    public void Search_LrpMethod_AllocatesByRelevanceWeightedNoise_WithinTheBudget()
    {
        string o = h.PathOf("m.onnx");
        var r = CliHarness.Run(["search", Model, "--data", "fashion-mnist-1k", "--budget", "size=0.2", "--method", "lrp", "--formats", "int8,int4",
            "--front", "0", "--out", o, "--json", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("lrp", j.GetProperty("method").GetString());
        Assert.InRange(new FileInfo(o).Length, 1, j.GetProperty("budget_bytes").GetInt64());
        // Summed lrp scores: every layer's lrp is ≥ 0 and int4 ones are positive, so a plan with int4 layers has loss > 0.
        var chosen = j.GetProperty("chosen");
        Assert.Contains("int4", chosen.GetProperty("formats").GetString());
        Assert.True(chosen.GetProperty("estimated_loss").GetDouble() > 0);
    }

    [Fact]
    public void Search_SecondOrderMethod_UsageErrorBeforeAnyWork()
    {
        var r = CliHarness.Run("search", "missing.onnx", "--data", "fashion-mnist-1k", "--budget", "size=0.2", "--method", "hessian", "--out", h.PathOf("m.onnx"));
        Assert.Equal((int)ErrorKind.Usage, r.Code);
        Assert.Contains("--method hessian", r.Err);
    }
}
