using LowBit.Graph;
using LowBit.Graph.Passes;
using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;
using LowBit.Tests.Onnx.Ops;

// Namespace is not LowBit.Tests.Graph.*: that would shadow LowBit.Graph for every test under LowBit.Tests.
namespace LowBit.Tests.Passes;

/// <summary>
/// BatchNormalization folded into its producer against ONNX Runtime running the unfolded graph. Tolerance
/// 1e-5·max|ORT|: folding moves the per-channel scale s inside the sum (Σ s·w·x instead of s·Σ w·x), a reassociation
/// worth a few float32 ulps per term.
/// </summary>
public class FoldBatchNormTests
{
    internal static LowBit.Graph.Graph ProducerThenBn(string producer, long opset, bool bias, int seed, long transB = 0,
        params (string, object)[] bnAttrs)
    {
        var r = new Random(seed);
        var g = new LowBit.Graph.Graph { Opsets = new() { [""] = opset } };
        g.Metadata.IrVersion = 7;
        int channels;
        switch (producer)
        {
            case "Conv":
                g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 2, 4, 7, 6));
                g.Initializers["w"] = RandomTensors.Floats(r, -1, 1, 6, 2, 3, 3);
                g.Add("Conv", bias ? ["x", "w", "b"] : ["x", "w"], ["y"], "conv").With("group", 2L).With("pads", new long[] { 1, 0, 1, 1 });
                channels = 6;
                break;
            case "ConvTranspose":
                g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 1, 4, 5, 5));
                g.Initializers["w"] = RandomTensors.Floats(r, -1, 1, 4, 3, 3, 2);
                g.Add("ConvTranspose", bias ? ["x", "w", "b"] : ["x", "w"], ["y"], "convT").With("group", 2L).With("strides", new long[] { 2, 1 });
                channels = 6;
                break;
            default:
                g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 5, 8));
                g.Initializers["w"] = RandomTensors.Floats(r, -1, 1, transB != 0 ? [7, 8] : [8, 7]);
                g.Add("Gemm", bias ? ["x", "w", "b"] : ["x", "w"], ["y"], "gemm").With("transB", transB).With("beta", 0.5f);
                channels = 7;
                break;
        }
        if (bias) g.Initializers["b"] = RandomTensors.Floats(r, -1, 1, channels);
        g.Initializers["gamma"] = RandomTensors.Floats(r, 0.5f, 2, channels);
        g.Initializers["beta"] = RandomTensors.Floats(r, -1, 1, channels);
        g.Initializers["mean"] = RandomTensors.Floats(r, -1, 1, channels);
        g.Initializers["var"] = RandomTensors.Floats(r, 0.1f, 2, channels);
        var bn = g.Add("BatchNormalization", ["y", "gamma", "beta", "mean", "var"], ["z"], "bn").With("epsilon", 1e-3f);
        foreach (var (k, v) in bnAttrs) bn.With(k, v);
        g.Outputs.Add(new ValueInfo("z", DType.Float32, null));
        return g;
    }

    private static Dictionary<string, Tensor> Feed(LowBit.Graph.Graph g) => new()
    {
        ["x"] = RandomTensors.Floats(new Random(99), -1, 1, g.Inputs[0].Shape!.Select(d => (int)d.Value!).ToArray()),
    };

    [Theory]
    [InlineData("Conv", true, 0L, 15L)]
    [InlineData("Conv", false, 0L, 9L)]
    [InlineData("ConvTranspose", true, 0L, 15L)]
    [InlineData("ConvTranspose", false, 0L, 15L)]
    [InlineData("Gemm", true, 1L, 15L)]
    [InlineData("Gemm", false, 0L, 15L)]
    [InlineData("Gemm", true, 0L, 14L)]
    public void Apply_ProducerThenBn_MatchesUnfoldedOrt(string producer, bool bias, long transB, long opset)
    {
        var g = ProducerThenBn(producer, opset, bias, seed: producer.Length, transB);
        var feed = Feed(g);
        using var ort = OrtRunner.FromGraph(g, threads: 1, optimize: false);
        var expected = ort.Run(feed)["z"];
        var folded = InferenceOptimizer.Copy(g);
        Assert.Equal(1, FoldBatchNorm.Apply(folded));
        Assert.DoesNotContain(folded.Nodes, n => n.OpType == "BatchNormalization");
        Assert.Equal(["z"], folded.Nodes.Single().Outputs);
        Assert.DoesNotContain("gamma", folded.Initializers.Keys);
        var actual = new Session(folded, new SessionOptions(threads: 1) { Optimize = false }).Run(feed)["z"];
        TensorAssert.RelativeMax(expected, actual, 1e-5, $"{producer}+BN folded");
        Assert.Contains(g.Nodes, n => n.OpType == "BatchNormalization");
    }

    [Fact]
    public void Apply_LegacyOpset8SpatialBn_MatchesOrt()
    {
        var g = ProducerThenBn("Conv", 8, true, seed: 8, bnAttrs: ("spatial", 1L));
        var feed = Feed(g);
        using var ort = OrtRunner.FromGraph(g, threads: 1, optimize: false);
        var expected = ort.Run(feed)["z"];
        Assert.Equal(1, FoldBatchNorm.Apply(g));
        var actual = new Session(g, new SessionOptions(threads: 1)).Run(feed)["z"];
        TensorAssert.RelativeMax(expected, actual, 1e-5, "opset 8 BN");
    }

    [Theory]
    [InlineData(6L, 1L, 1)]
    [InlineData(6L, 0L, 0)]
    public void Apply_Opset6_FoldsOnlyInTestMode(long opset, long isTest, int expected)
    {
        var g = ProducerThenBn("Conv", opset, true, seed: 6, bnAttrs: ("is_test", isTest));
        Assert.Equal(expected, FoldBatchNorm.Apply(g));
    }

    [Fact]
    public void Apply_TrainingModeOrSharedOrExposedOutput_DoesNotFold()
    {
        var training = ProducerThenBn("Conv", 15, true, seed: 1, bnAttrs: ("training_mode", 1L));
        Assert.Equal(0, FoldBatchNorm.Apply(training));

        var shared = ProducerThenBn("Conv", 15, true, seed: 1);
        shared.Add("Relu", ["y"], ["y_relu"]);
        shared.Outputs.Add(new ValueInfo("y_relu", DType.Float32, null));
        Assert.Equal(0, FoldBatchNorm.Apply(shared));

        var exposed = ProducerThenBn("Conv", 15, true, seed: 1);
        exposed.Outputs.Add(new ValueInfo("y", DType.Float32, null));
        Assert.Equal(0, FoldBatchNorm.Apply(exposed));

        var fedWeights = ProducerThenBn("Conv", 15, true, seed: 1);
        var w = fedWeights.Initializers["w"];
        fedWeights.Initializers.Remove("w");
        fedWeights.Inputs.Add(ValueInfo.Of("w", DType.Float32, w.Shape.Select(d => (long)d).ToArray()));
        Assert.Equal(0, FoldBatchNorm.Apply(fedWeights));

        // IR ≥ 4: an initializer that is also a graph input is only a default, a run may feed another value.
        var overridable = ProducerThenBn("Conv", 15, true, seed: 1);
        overridable.Inputs.Add(ValueInfo.Of("w", DType.Float32, 6, 2, 3, 3));
        Assert.Equal(0, FoldBatchNorm.Apply(overridable));
    }

    [Fact]
    public void Apply_SharedWeightInitializer_IsNotModified()
    {
        var g = ProducerThenBn("Conv", 15, true, seed: 3);
        var before = g.Initializers["w"].ToFloatArray();
        var copy = InferenceOptimizer.Copy(g);
        FoldBatchNorm.Apply(copy);
        Assert.Equal(before, g.Initializers["w"].ToFloatArray());
        Assert.Same(g.Initializers["w"], InferenceOptimizer.Copy(g).Initializers["w"]);
    }
}
