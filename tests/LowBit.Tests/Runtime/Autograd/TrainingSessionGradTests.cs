using ModelGraph = LowBit.Graph.Graph;
using LowBit.Graph;
using LowBit.Nn;
using LowBit.Onnx;
using LowBit.Runtime.Autograd;
using LowBit.Tensors;
using LowBit.Tests.Nn.Zoo;

namespace LowBit.Tests.Autograd;

/// <summary>
/// Backward through several nodes: gradients of a value read by two consumers add up, a CNN-shaped chain matches finite
/// differences for every parameter, and backward functions skip the inputs whose gradient is not needed.
/// </summary>
public class TrainingSessionGradTests
{
    /// <summary>y = Relu(x)·σ(x) + x·x: x reaches the output along three paths (the Mul reads it twice), so its gradient is
    /// the sum of three contributions; finite differences see the total (tolerance as in <see cref="GradCheck"/>).</summary>
    [Fact]
    public void Backward_ValueWithTwoConsumers_AccumulatesGradients()
    {
        var g = new ModelGraph();
        g.Opsets[""] = 21;
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 3, 4));
        g.Add("Relu", ["x"], ["a"]);
        g.Add("Sigmoid", ["x"], ["b"]);
        g.Add("Mul", ["a", "b"], ["c"]);
        g.Add("Mul", ["x", "x"], ["d"]);
        g.Add("Add", ["c", "d"], ["y"]);
        g.Outputs.Add(new ValueInfo("y", DType.Float32, null));
        var x = TestTensors.Avoiding(new Random(300), 1, [0], 0.05, 3, 4);
        GradCheck.Check(g, new() { ["x"] = x }, ["x"]);
    }

    /// <summary>Conv → BatchNorm (training) → Tanh → AveragePool → Flatten → Gemm, plus a residual Add that makes the
    /// conv output feed two consumers; every parameter and the input checked (smooth ops only, so no kink can sit
    /// within ±ε; tolerance as in <see cref="GradCheck"/>).</summary>
    [Fact]
    public void Backward_ConvBnChain_MatchesFiniteDifferences()
    {
        var b = new GraphBuilder("chain", seed: 3);
        string x = b.Input("input", DType.Float32, 2, 5, 5);
        string c = b.Conv(x, 2, 3, 3, bias: true, name: "conv");
        string n = b.BatchNorm(c, 3, "bn");
        var g = b.Graph;
        g.Add("Tanh", [n], ["t"]);
        g.Add("Add", ["t", c], ["r"]);
        g.Add("AveragePool", ["r"], ["p"]).With("kernel_shape", new long[] { 2, 2 }).With("strides", new long[] { 2, 2 });
        string f = b.Flatten("p");
        string y = b.Linear(f, 12, 4, "fc");
        b.Output(y, "logits", DType.Float32, 4);
        var feed = new Dictionary<string, Tensor> { ["input"] = TestTensors.Random(new Random(301), 3, 2, 5, 5) };
        string[] wrt = ["input", .. Parameters.Trainable(g)];
        Assert.Contains("conv.weight", wrt);
        GradCheck.Check(g, feed, wrt);
    }

    /// <summary>Every zoo configuration (every op it uses has a backward): one forward/backward at batch 2 gives every
    /// trainable parameter a gradient of its shape that is finite and not all zero.</summary>
    [Theory]
    [MemberData(nameof(ZooCases.Keys), MemberType = typeof(ZooCases))]
    public void Backward_ZooCase_GivesEveryParameterAGradient(string key)
    {
        var g = ZooCases.Get(key).Build();
        var session = new LowBit.Runtime.TrainingSession(g, new LowBit.Runtime.SessionOptions(threads: 2), seed: 1);
        var logits = session.Forward(ZooCases.Inputs(g, batch: 2, seed: 4))["logits"];
        var probe = TestTensors.Random(new Random(5), logits.Shape);
        var names = Parameters.Trainable(g);
        var grads = session.Backward(new Dictionary<string, Tensor> { ["logits"] = probe }, names);
        foreach (var name in names)
        {
            var gv = grads[name].ToFloatArray();
            Assert.Equal(g.Initializers[name].Shape, grads[name].Shape);
            Assert.True(gv.All(float.IsFinite), $"{key}: gradient of {name} is not finite");
            Assert.True(gv.Any(v => v != 0), $"{key}: gradient of {name} is all zero");
        }
    }

    /// <summary>Backward functions return null, without computing it, for an input whose gradient is not needed.</summary>
    [Theory]
    [InlineData("Conv", 0)]
    [InlineData("Conv", 1)]
    [InlineData("Gemm", 0)]
    [InlineData("MatMul", 1)]
    [InlineData("Mul", 0)]
    [InlineData("BatchNormalization", 0)]
    [InlineData("LayerNormalization", 0)]
    public void Backward_InputNotNeeded_IsNotComputed(string op, int skipped)
    {
        var rng = new Random(310);
        var (inputs, attrs) = op switch
        {
            "Conv" => (new[] { TestTensors.Random(rng, 1, 2, 4, 4), TestTensors.Random(rng, 3, 2, 3, 3), TestTensors.Random(rng, 3) }, new (string, object)[0]),
            "Gemm" => (new[] { TestTensors.Random(rng, 2, 3), TestTensors.Random(rng, 3, 4), TestTensors.Random(rng, 4) }, []),
            "MatMul" => (new[] { TestTensors.Random(rng, 2, 2, 3), TestTensors.Random(rng, 2, 3, 4) }, []),
            "Mul" => (new[] { TestTensors.Random(rng, 2, 3), TestTensors.Random(rng, 3) }, []),
            "BatchNormalization" => (new[] { TestTensors.Random(rng, 2, 3, 2), TestTensors.Random(rng, 3), TestTensors.Random(rng, 3),
                TestTensors.Random(rng, 3), TestTensors.Uniform(rng, 1, 2, 3) }, []),
            _ => (new[] { TestTensors.Random(rng, 2, 3, 4), TestTensors.Random(rng, 4), TestTensors.Random(rng, 4) }, new (string, object)[] { ("axis", -1L) }),
        };
        var node = new Node(op, inputs.Select((_, i) => $"in{i}"), ["y"]);
        foreach (var (name, value) in attrs) node.With(name, value);
        var forward = OpTable.Bind(node, 21);
        var fctx = new OpContext { Node = node, Opset = 21, Training = true };
        var outs = forward.Invoke(fctx, inputs);
        var needs = inputs.Select((_, i) => i != skipped && i < 3).ToArray();
        var ctx = new GradContext
        {
            Node = node, Opset = 21, Training = true, Saved = fctx.Saved, Outputs = outs,
            OutputGrads = [TestTensors.Random(rng, outs[0]!.Shape)], NeedsInputGrad = needs,
        };
        var grads = GradTable.Bind(node, 21).Invoke(ctx, inputs);
        Assert.Null(grads[skipped]);
        for (int i = 0; i < Math.Min(grads.Length, 3); i++)
            if (needs[i]) Assert.NotNull(grads[i]);
    }
}
