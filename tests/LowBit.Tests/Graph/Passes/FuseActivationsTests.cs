using LowBit.Graph;
using LowBit.Graph.Passes;
using LowBit.Runtime;
using LowBit.Tensors;
using LowBit.Tests.Onnx.Ops;

// Namespace is not LowBit.Tests.Graph.*: that would shadow LowBit.Graph for every test under LowBit.Tests.
namespace LowBit.Tests.Passes;

/// <summary>
/// Activation/residual fusion and the session's optimized copy. Fused and unfused runs must be bitwise equal: the
/// fused epilogue adds bias, then residual, then applies the activation, exactly the unfused order.
/// </summary>
public class FuseActivationsTests
{
    /// <summary>x → Conv(+b) → Add(·, skip) → Relu → out, with skip = x (same shape: 4 channels, 3×3 pad 1).</summary>
    private static LowBit.Graph.Graph Residual(long opset = 13)
    {
        var r = new Random(4);
        var g = new LowBit.Graph.Graph { Opsets = new() { [""] = opset } };
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 2, 4, 9, 9));
        g.Initializers["w"] = RandomTensors.Floats(r, -1, 1, 4, 4, 3, 3);
        g.Initializers["b"] = RandomTensors.Floats(r, -1, 1, 4);
        g.Add("Conv", ["x", "w", "b"], ["c"], "conv").With("pads", new long[] { 1, 1, 1, 1 });
        g.Add("Add", ["c", "x"], ["s"], "add");
        g.Add("Relu", ["s"], ["out"], "relu");
        g.Outputs.Add(new ValueInfo("out", DType.Float32, null));
        return g;
    }

    private static Dictionary<string, Tensor> Feed() => new() { ["x"] = RandomTensors.Floats(new Random(5), -1, 1, 2, 4, 9, 9) };

    [Fact]
    public void Apply_ConvAddRelu_BecomesOneFusedConv()
    {
        var g = InferenceOptimizer.Copy(Residual());
        Assert.Equal(1, FuseActivations.Apply(g));
        var n = Assert.Single(g.Nodes);
        Assert.Equal(("FusedConv", "Relu"), (n.OpType, n.Get<string>("activation")));
        Assert.Equal(["x", "w", "b", "x"], n.Inputs);
        Assert.Equal(["out"], n.Outputs);
        Assert.Equal(1L, n.Get<long>("packed_weights"));
    }

    [Fact]
    public void Session_Optimized_IsBitwiseEqualToUnoptimizedAndLeavesGraphAlone()
    {
        var g = Residual();
        var optimized = new Session(g, new SessionOptions(threads: 2)).Run(Feed())["out"];
        var plain = new Session(g, new SessionOptions(threads: 2) { Optimize = false }).Run(Feed())["out"];
        OrtParity.AssertBits(plain, optimized, "fused vs unfused");
        Assert.Equal(["Conv", "Add", "Relu"], g.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Session_HookOrIntermediateRequest_RunsGraphAsWritten()
    {
        var g = Residual();
        var session = new Session(g, new SessionOptions(threads: 1));
        var conv = session.Run(Feed(), ["c", "out"]);
        Assert.Equal([2, 4, 9, 9], conv["c"].Shape);
        var seen = new List<string>();
        session.AddHook((name, producer, value) => { seen.Add(name); return null; });
        session.Run(Feed());
        Assert.Contains("c", seen);
        Assert.Contains("s", seen);
    }

    [Fact]
    public void Apply_GemmClipAndMatMulRelu_AreFusedAndMatch()
    {
        var r = new Random(7);
        var g = new LowBit.Graph.Graph { Opsets = new() { [""] = 13 } };
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 3, 5));
        g.Initializers["w1"] = RandomTensors.Floats(r, -1, 1, 6, 5);
        g.Initializers["c1"] = RandomTensors.Floats(r, -1, 1, 6);
        g.Initializers["lo"] = Tensor.Scalar(-0.25f);
        g.Initializers["hi"] = Tensor.Scalar(0.5f);
        g.Initializers["w2"] = RandomTensors.Floats(r, -1, 1, 6, 4);
        g.Add("Gemm", ["x", "w1", "c1"], ["h"]).With("transB", 1L);
        g.Add("Clip", ["h", "lo", "hi"], ["hc"]);
        g.Add("MatMul", ["hc", "w2"], ["m"]);
        g.Add("Relu", ["m"], ["out"]);
        g.Outputs.Add(new ValueInfo("out", DType.Float32, null));
        var copy = InferenceOptimizer.Optimize(g);
        Assert.Equal(["FusedGemm", "FusedMatMul"], copy.Nodes.Select(n => n.OpType));
        var feed = new Dictionary<string, Tensor> { ["x"] = RandomTensors.Floats(r, -2, 2, 3, 5) };
        var fused = new Session(g).Run(feed)["out"];
        var plain = new Session(g, new SessionOptions { Optimize = false }).Run(feed)["out"];
        OrtParity.AssertBits(plain, fused, "Gemm+Clip, MatMul+Relu");
    }

    [Fact]
    public void Session_FedValueForOverridableWeight_IsUsedEveryRun()
    {
        var g = Residual();
        g.Inputs.Add(ValueInfo.Of("w", DType.Float32, 4, 4, 3, 3));
        var session = new Session(g, new SessionOptions(threads: 1));
        var feed = Feed();
        var byDefault = session.Run(feed)["out"];
        feed["w"] = RandomTensors.Floats(new Random(77), -1, 1, 4, 4, 3, 3);
        var overridden = session.Run(feed)["out"];
        var expected = new Session(g, new SessionOptions(threads: 1) { Optimize = false }).Run(feed)["out"];
        OrtParity.AssertBits(expected, overridden, "fed weight");
        Assert.NotEqual(byDefault.ToFloatArray(), overridden.ToFloatArray());
    }

    [Fact]
    public void Session_NewSessionAfterInPlaceWeightEdit_UsesTheNewWeights()
    {
        // Training edits initializers in place and then evaluates with a new Session: packed weights belong to the
        // session that packed them, so the second session must not reuse the first one's packing.
        var g = Residual();
        var before = new Session(g, new SessionOptions(threads: 1)).Run(Feed())["out"];
        var w = g.Initializers["w"].AsSpan<float>();
        for (int i = 0; i < w.Length; i++) w[i] = -w[i];
        var after = new Session(g, new SessionOptions(threads: 1)).Run(Feed())["out"];
        var expected = new Session(g, new SessionOptions(threads: 1) { Optimize = false }).Run(Feed())["out"];
        OrtParity.AssertBits(expected, after, "after in-place edit");
        Assert.NotEqual(before.ToFloatArray(), after.ToFloatArray());
    }

    [Fact]
    public void Apply_ValueReadTwiceOrExposed_IsNotAbsorbed()
    {
        var g = Residual();
        g.Outputs.Add(new ValueInfo("s", DType.Float32, null));
        var copy = InferenceOptimizer.Optimize(g);
        Assert.Equal(["FusedConv", "Relu"], copy.Nodes.Select(n => n.OpType));
        Assert.Equal(["s"], copy.Nodes[0].Outputs);
    }
}
