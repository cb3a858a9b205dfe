using LowBit.Data;
using System.Text.Json;

namespace LowBit.Cli.Tests.Commands;

/// <summary>Mixed precision on the committed, trained fashion-cnn with the committed Fashion-MNIST subset: <c>search</c>,
/// <c>sensitivity</c> and <c>quantize --max-drop</c>, small sample counts (these check the commands; docs/results.md has
/// the measured figures).</summary>
public class SearchCommandTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private static string Model => Path.Combine(Assets.Find("fashion-cnn")!, "fashion-cnn.onnx");
    private static readonly string[] Small = ["--calib-samples", "32", "--samples", "64", "--threads", "2"];

    [CommittedModelFact]
    public void Search_MeetsTheBudget_AndItsRecipeReproducesTheModel()
    {
        string out1 = h.PathOf("m.onnx");
        var r = CliHarness.Run(["search", Model, "--data", "fashion-mnist-1k", "--budget", "size=0.2", "--eval", "fashion-mnist-1k", "--eval-samples", "200",
            "--front", "2", "--out", out1, "--report", h.PathOf("rep"), "--json", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        long budget = j.GetProperty("budget_bytes").GetInt64();
        long floatBytes = new FileInfo(Model).Length;
        Assert.InRange(new FileInfo(out1).Length, 1, budget);
        Assert.InRange(budget, (long)(0.2 * floatBytes) - 1, (long)(0.2 * floatBytes));
        var chosen = j.GetProperty("chosen");
        Assert.Equal(new FileInfo(out1).Length, chosen.GetProperty("bytes").GetInt64());
        Assert.True(chosen.GetProperty("top1").GetDouble() > 0.5);
        Assert.Equal(2, j.GetProperty("uniform").GetArrayLength());  // int8 and int4
        Assert.True(chosen.GetProperty("bops_ratio").GetDouble() is > 0 and < 1);
        foreach (var f in new[] { "search.json", "search.md", "front.png" }) Assert.True(new FileInfo(Path.Combine(h.PathOf("rep"), f)).Length > 100, f);
        Assert.Contains("| chosen |", File.ReadAllText(Path.Combine(h.PathOf("rep"), "search.md")));

        // Reapplying the recipe with quantize's defaults and the same calibration samples gives the same file.
        string recipe = j.GetProperty("recipe").GetString()!;
        Assert.True(File.Exists(recipe));
        string out2 = h.PathOf("again.onnx");
        var q = CliHarness.Run("quantize", Model, "--out", out2, "--calib-data", "fashion-mnist-1k", "--calib-samples", "32", "--recipe", recipe, "--threads", "2");
        Assert.True(q.Code == 0, q.Err);
        Assert.Equal(File.ReadAllBytes(out1), File.ReadAllBytes(out2));
    }

    [CommittedModelFact]
    public void Search_BudgetBelowTheSmallestFile_OneLineErrorAndNoFiles()
    {
        string o = h.PathOf("m.onnx");
        var r = CliHarness.Run(["search", Model, "--data", "fashion-mnist-1k", "--budget", "size=0.05", "--formats", "int8,float", "--front", "0", "--out", o, .. Small]);
        Assert.Equal((int)ErrorKind.Usage, r.Code);
        Assert.Contains("smallest reachable", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.Single(r.ErrLines);
        Assert.False(File.Exists(o));
        Assert.False(File.Exists(h.PathOf("m.recipe.json")));
    }

    [CommittedModelFact]
    public void Search_BopsBudget_MetByTheChosenPlan()
    {
        var r = CliHarness.Run(["search", Model, "--data", "fashion-mnist-1k", "--budget", "bops=0.05", "--front", "0", "--out", h.PathOf("b.onnx"), "--json", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("bops", j.GetProperty("budget_kind").GetString());
        // uint8 activations: 8·8/32² = 0.0625 > 0.05, so some layers must take int4 weights (4·8/32² = 0.03125).
        Assert.InRange(j.GetProperty("chosen").GetProperty("bops_ratio").GetDouble(), 0.03, 0.05);
        Assert.Contains("int4", j.GetProperty("chosen").GetProperty("formats").GetString());
    }

    [CommittedModelFact]
    public void Search_LatencyBudget_TimesEveryLayerAtEveryFormat_AndTheChosenPlansEstimateMeetsIt()
    {
        // Budget 5× float: always reachable, whatever this CPU's int8 kernels cost (docs/mixed-precision.md has measured budgets).
        var r = CliHarness.Run(["search", Model, "--data", "fashion-mnist-1k", "--budget", "latency=5", "--eval", "fashion-mnist-1k", "--eval-samples", "100",
            "--front", "2", "--out", h.PathOf("l.onnx"), "--report", h.PathOf("rep"), "--json", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("latency", j.GetProperty("budget_kind").GetString());
        var table = j.GetProperty("latency").GetProperty("milliseconds");
        Assert.Equal(6, table.EnumerateObject().Count());   // 4 convs + 2 Gemms
        foreach (var node in table.EnumerateObject())
            foreach (var f in new[] { "float", "int8", "int4" }) Assert.True(node.Value.GetProperty(f).GetDouble() >= 0, $"{node.Name} {f}");
        Assert.True(j.GetProperty("float_latency_ms").GetDouble() > 0);
        var chosen = j.GetProperty("chosen");
        Assert.InRange(chosen.GetProperty("estimated_latency_ratio").GetDouble(), 0.01, 5);
        Assert.True(chosen.GetProperty("latency_ratio").GetDouble() > 0);
        Assert.All(j.GetProperty("uniform").EnumerateArray(), u => Assert.True(u.GetProperty("latency_ratio").GetDouble() > 0));
        Assert.Contains("| latency × |", File.ReadAllText(Path.Combine(h.PathOf("rep"), "search.md")));
    }

    [CommittedModelFact]
    public void Search_LatencyBudgetBelowTheFastestPlan_OneLineErrorAndNoFiles()
    {
        string o = h.PathOf("m.onnx");
        var r = CliHarness.Run(["search", Model, "--data", "fashion-mnist-1k", "--budget", "latency=0.001", "--formats", "int8,float", "--front", "0", "--out", o, .. Small]);
        Assert.Equal((int)ErrorKind.Usage, r.Code);
        Assert.Contains("latency budget", r.Err);
        Assert.Contains("smallest reachable estimate", r.Err);
        Assert.Single(r.ErrLines);
        Assert.False(File.Exists(o));
    }

    [Theory]
    [InlineData("size", "expected size=R")]
    [InlineData("latency=0", "expected size=R")]
    [InlineData("time=0.5", "expected size=R")]
    [InlineData("size=-1", "expected size=R")]
    public void Search_BadBudget_UsageError(string budget, string message)
    {
        var r = CliHarness.Run("search", "whatever.onnx", "--data", "fashion-mnist-1k", "--budget", budget, "--out", h.PathOf("m.onnx"));
        Assert.Equal((int)ErrorKind.Usage, r.Code);
        Assert.Contains(message, r.Err);
    }

    [Fact]
    public void Search_GradientMethod_UsageErrorBeforeAnyWork()
    {
        // The model path does not exist: the method is refused before the model is even opened.
        var r = CliHarness.Run("search", "missing.onnx", "--data", "fashion-mnist-1k", "--budget", "size=0.2", "--method", "fisher", "--out", h.PathOf("m.onnx"));
        Assert.Equal((int)ErrorKind.Usage, r.Code);
        Assert.Contains("--method fisher", r.Err);
    }

    [CommittedModelFact]
    public void Sensitivity_Json_ScoresEveryWeightedLayer_AndRanksAgainstMeasuredDrops()
    {
        var r = CliHarness.Run(["sensitivity", Model, "--data", "fashion-mnist-1k", "--formats", "int4,int2", "--method", "sqnr,kl,loss,fisher",
            "--eval", "fashion-mnist-1k", "--eval-samples", "200", "--json", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        var layers = j.GetProperty("layers").EnumerateArray().ToList();
        foreach (var node in new[] { "block1.conv1", "block2.conv2", "head.fc1" })
        {
            var int4 = layers.Single(l => l.GetProperty("node").GetString() == node && l.GetProperty("format").GetString() == "int4");
            var int2 = layers.Single(l => l.GetProperty("node").GetString() == node && l.GetProperty("format").GetString() == "int2");
            // Two bits fewer: about 12 dB less SQNR of the weights; the output's falls too, and every score rises.
            Assert.True(int2.GetProperty("sqnr_db").GetDouble() < int4.GetProperty("sqnr_db").GetDouble() - 3, node);
            Assert.True(int2.GetProperty("kl").GetDouble() > int4.GetProperty("kl").GetDouble(), node);
            Assert.True(int2.GetProperty("fisher").GetDouble() > int4.GetProperty("fisher").GetDouble(), node);
        }
        var agreement = j.GetProperty("agreement").EnumerateArray().ToList();
        Assert.Equal(8, agreement.Count);  // 4 methods × 2 formats
        var kl2 = agreement.Single(a => a.GetProperty("method").GetString() == "kl" && a.GetProperty("format").GetString() == "int2");
        Assert.True(kl2.GetProperty("rho_loss").GetDouble() > 0.5, kl2.ToString());
    }

    [CommittedModelFact]
    public void Quantize_MaxDrop_ReturnsLayersUntilTheMeasuredDropMeetsTheTarget()
    {
        string o = h.PathOf("m.onnx");
        var r = CliHarness.Run("quantize", Model, "--out", o, "--weights", "int2", "--calib-data", "fashion-mnist-1k", "--calib-samples", "32",
            "--eval-data", "fashion-mnist-1k", "--eval-samples", "300", "--max-drop", "2%", "--threads", "2", "--json");
        Assert.True(r.Code == 0, r.Err);
        var m = r.Json().GetProperty("max_drop");
        Assert.True(m.GetProperty("met").GetBoolean());
        double target = m.GetProperty("target").GetDouble();
        Assert.Equal(2 * m.GetProperty("float_top1").GetDouble(), target, 9);  // 2 % of the float accuracy, in points
        Assert.True(m.GetProperty("initial_drop").GetDouble() > target, m.ToString());
        Assert.InRange(m.GetProperty("drop").GetDouble(), -100, target);
        var restored = m.GetProperty("restored").EnumerateArray().Select(x => x.GetProperty("node").GetString()).ToList();
        Assert.NotEmpty(restored);

        // The reported drop is the written file's, in ONNX Runtime.
        var e = CliHarness.Run("eval", o, "--dataset", "fashion-mnist-1k", "--limit", "300", "--engine", "ort", "--json");
        Assert.True(e.Code == 0, e.Err);
        double top1 = e.Json().GetProperty("classification").GetProperty("top1").GetDouble();
        Assert.Equal(m.GetProperty("float_top1").GetDouble() - m.GetProperty("drop").GetDouble() / 100, top1, 6);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(o, null) + ".lowbit.json")).RootElement;
        var floatNodes = manifest.GetProperty("nodes").EnumerateArray().Where(n => !n.GetProperty("quantized").GetBoolean())
            .Select(n => n.GetProperty("name").GetString()).ToHashSet();
        Assert.All(restored, n => Assert.Contains(n, floatNodes));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("%")]
    public void Quantize_MaxDropBadTarget_UsageErrorBeforeAnyWork(string target)
    {
        string model = h.Save(CliHarness.DenseModel(), "d.onnx");
        var r = CliHarness.Run("quantize", model, "--out", h.PathOf("q.onnx"), "--calib-data", "random:8", "--eval-data", "fashion-mnist-1k", "--max-drop", target);
        Assert.Equal((int)ErrorKind.Usage, r.Code);
        Assert.Contains("--max-drop", r.Err);
        Assert.False(File.Exists(h.PathOf("q.onnx")));
    }

    [Fact]
    public void Quantize_MaxDropWithoutEvalData_UsageError()
    {
        string model = h.Save(CliHarness.DenseModel(), "d.onnx");
        var r = CliHarness.Run("quantize", model, "--out", h.PathOf("q.onnx"), "--calib-data", "random:8", "--max-drop", "0.5");
        Assert.Equal((int)ErrorKind.Usage, r.Code);
        Assert.Contains("--max-drop needs --eval-data", r.Err);
    }
}
