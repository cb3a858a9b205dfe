using LowBit.Quantization;
using LowBit.Quantization.Search;

namespace LowBit.Tests.Quantization.Search;

/// <summary>The fallback loop with a judge that reads the manifest: the drop is 1 point per "harmful" node still quantized,
/// so the right answer is known exactly.</summary>
public class AccuracyControlTests
{
    private static readonly Graph.Graph Model = QuantTestModels.ConvNet();
    private static readonly QuantizerConfig Config = new(QuantMode.Static, WeightQuantConfig.Int8PerChannel);
    private static readonly List<IReadOnlyDictionary<string, LowBit.Tensors.Tensor>> Calib = QuantTestModels.RandomData(Model, 4, batch: 1);

    private static double Drop(QuantizedModel q, string[] harmful) =>
        harmful.Count(h => q.Manifest.Nodes.Single(n => n.Name == h).Quantized);

    [Fact]
    public void Run_RestoresExactlyTheHarmfulNodes_EvenWhenTheRankingInterleavesOthers()
    {
        string[] harmful = ["conv2", "fc"];
        string[] ranking = ["conv2", "conv3", "fc", "conv1", "residual"];
        int ranked = 0;
        var r = AccuracyControl.Run(Model, Config, Calib, () => { ranked++; return ranking; }, FormatChoice.Float, 0.5, q => Drop(q, harmful));
        Assert.True(r.Met);
        Assert.Equal(2, r.InitialDrop);
        Assert.Equal(0, r.Drop);
        Assert.Equal(harmful, r.Restored);  // bisection finds the prefix of 3, pruning drops conv3
        Assert.Equal(1, ranked);
        Assert.False(r.Model.Manifest.Nodes.Single(n => n.Name == "fc").Quantized);
        Assert.True(r.Model.Manifest.Nodes.Single(n => n.Name == "conv3").Quantized);
    }

    [Fact]
    public void Run_TargetAlreadyMet_NoRankingNoFallback()
    {
        var r = AccuracyControl.Run(Model, Config, Calib, () => throw new InvalidOperationException("not needed"), FormatChoice.Float, 0.5, _ => 0.2);
        Assert.True(r.Met);
        Assert.Empty(r.Restored);
        Assert.Single(r.Trials);
    }

    [Fact]
    public void Run_UnreachableTarget_ReportsNotMet()
    {
        var r = AccuracyControl.Run(Model, Config, Calib, () => ["conv1"], FormatChoice.Float, 0.5, _ => 3);
        Assert.False(r.Met);
        Assert.Equal(3, r.Drop);
    }

    [Fact]
    public void Run_FallbackFormat_PutsRestoredNodesAtThatFormat()
    {
        var int4 = Config.With(new WeightQuantConfig(LowBit.Formats.FormatTable.Get("int4")));
        var int8 = FormatChoice.All(int4, ["int8"], null)["int8"];
        var r = AccuracyControl.Run(Model, int4, Calib, () => ["conv1", "conv2"], int8, 0.5,
            q => q.Manifest.Tensors.Any(t => t.Kind == "weight" && t.Nodes.Contains("conv1") && t.Format == "int4") ? 1 : 0);
        Assert.Equal(["conv1"], r.Restored);
        Assert.Equal("int8", r.Model.Manifest.Tensors.Single(t => t.Kind == "weight" && t.Nodes.Contains("conv1")).Format);
        Assert.Equal("int4", r.Model.Manifest.Tensors.Single(t => t.Kind == "weight" && t.Nodes.Contains("conv2")).Format);
    }
}
