using ModelGraph = LowBit.Graph.Graph;
using LowBit.Nn;
using LowBit.Nn.Zoo;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Tests.Nn;

public class ParametersTests
{
    [Fact]
    public void Trainable_ExcludesRunningStatisticsAndConstants()
    {
        var g = ModelZoo.Build("mobilenet-v2-tiny");
        var trainable = Parameters.Trainable(g);
        Assert.Contains("stem.bn.scale", trainable);
        Assert.Contains("head.fc.weight", trainable);
        Assert.DoesNotContain("stem.bn.running_mean", trainable);
        Assert.DoesNotContain("stem.bn.running_var", trainable);
        var running = Parameters.RunningStatistics(g);
        Assert.Equal(g.Initializers.Count, trainable.Count + running.Count);
    }

    [Fact]
    public void NoWeightDecay_BiasesAndNormParamsOnly()
    {
        var g = ModelZoo.Build("vit-tiny");
        var noDecay = Parameters.NoWeightDecay(g);
        Assert.True(noDecay("block0.ln1.scale"));
        Assert.True(noDecay("block0.attn.q.bias"));
        Assert.True(noDecay("head.fc.bias"));
        Assert.False(noDecay("block0.attn.q.weight"));
        Assert.False(noDecay("embed.patch.weight"));
        Assert.False(noDecay("head.fc.weight"));
    }

    [Fact]
    public void Trainable_AfterOnnxRoundTrip_ConstantsStayFrozen()
    {
        // The importer turns Constant nodes (causal mask, 1/√d, …) into initializers; they must not become parameters.
        var g = ModelZoo.Build("gpt-tiny", new GptOptions(context: 8, layers: 1));
        var reloaded = OnnxImporter.Load(OnnxExporter.ToBytes(g), null);
        Assert.Contains("const.causal_mask", reloaded.Initializers.Keys);
        Assert.Equal(Parameters.Trainable(g), Parameters.Trainable(reloaded));
    }

    [Fact]
    public void Trainable_ScalarAndNonDifferentiableInitializers_Excluded()
    {
        var g = new ModelGraph();
        g.Initializers["w"] = Tensor.FromArray(new[] { 1f, 2f }, 2);
        g.Initializers["eps"] = Tensor.FromArray(new[] { 1e-5f }, []);
        g.Initializers["lo"] = Tensor.FromArray(new[] { 0f }, 1);
        g.Initializers["unused"] = Tensor.FromArray(new[] { 0f }, 1);
        g.Add("Add", ["x", "eps"], ["y"]);
        g.Add("Mul", ["y", "w"], ["z"]);
        g.Add("Clip", ["z", "lo", ""], ["out"]);
        Assert.Equal(["w"], Parameters.Trainable(g));
    }
}
