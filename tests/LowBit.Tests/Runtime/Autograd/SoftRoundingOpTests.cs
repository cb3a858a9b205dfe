using LowBit.Graph;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Autograd;

/// <summary>
/// The fused <c>com.lowbit.SoftRounding</c> op against the same relaxation written with standard ONNX nodes
/// (Sigmoid, Mul, Add, Clip; Mul, Sub, Abs, Pow, Sub, ReduceSum), whose backward functions are each checked against
/// finite differences elsewhere: the loss Σ c·W̃ + λ·f_reg must have the same value and the same gradient to V.
/// Tolerance 1e-5 relative: float32 element operations in a different order.
/// </summary>
public class SoftRoundingOpTests
{
    [Theory]
    [InlineData(20f)]
    [InlineData(7.5f)]
    [InlineData(2f)]
    public void SoftRounding_EqualsCompositeGraph_ValueAndGradient(float beta)
    {
        var rng = new Random(3);
        int n = 300;
        // V spans both clip regions (σ(V)·1.2 − 0.1 outside [0, 1] for |V| ≳ 2.4) and the interior.
        var v = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 10 - 5)).ToArray();
        var down = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var delta = Enumerable.Range(0, n).Select(i => i % 17 == 0 ? 0f : 0.1f).ToArray();
        var c = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var fused = Run(Fused(), v, down, delta, c, beta);
        var composite = Run(Composite(), v, down, delta, c, beta);
        Assert.Equal(composite.Loss, fused.Loss, 1e-5 * Math.Abs(composite.Loss));
        double scale = composite.Grad.Max(Math.Abs);
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(composite.Grad[i] - fused.Grad[i]) <= 1e-5 * scale, $"dV[{i}] (V = {v[i]}): {fused.Grad[i]} vs {composite.Grad[i]}");
        Assert.Contains(fused.Grad, g => g != 0);
    }

    private static (double Loss, float[] Grad) Run(Graph.Graph g, float[] v, float[] down, float[] delta, float[] c, float beta)
    {
        g.Initializers["v"] = Tensor.FromArray(v, v.Length);
        g.Initializers["down"] = Tensor.FromArray(down, down.Length);
        g.Initializers["delta"] = Tensor.FromArray(delta, delta.Length);
        g.Initializers["c"] = Tensor.FromArray(c, c.Length);
        g.Initializers["lambda"] = Tensor.FromArray(new[] { 0.3f }, []);
        g.Add("Mul", ["w", "c"], ["wc"]);
        g.Add("ReduceSum", ["wc"], ["rec"]).With("keepdims", 0L);
        g.Add("Mul", ["reg", "lambda"], ["reg_weighted"]);
        g.Add("Add", ["rec", "reg_weighted"], ["loss"]);
        g.Outputs.Add(new ValueInfo("loss", DType.Float32, null));
        var s = new TrainingSession(g);
        var outs = s.Forward(new Dictionary<string, Tensor> { ["beta"] = Tensor.FromArray(new[] { beta }, []) }, training: true);
        var grad = s.Backward(new Dictionary<string, Tensor> { ["loss"] = Tensor.FromArray(new[] { 1f }, []) }, ["v"])["v"];
        return (outs["loss"].GetDouble(0), grad.ToFloatArray());
    }

    private static Graph.Graph NewGraph()
    {
        var g = new Graph.Graph();
        g.Opsets[""] = 17;
        g.Inputs.Add(new ValueInfo("beta", DType.Float32, []));
        return g;
    }

    private static Graph.Graph Fused()
    {
        var g = NewGraph();
        var (w, reg) = LowBit.Quantization.Algorithms.Layers.SoftRounding.Add(g, "v", "down", "delta", "beta", "t");
        g.Add("Identity", [w], ["w"]);
        g.Add("Identity", [reg], ["reg"]);
        return g;
    }

    private static Graph.Graph Composite()
    {
        var g = NewGraph();
        void Scalar(string name, float value) => g.Initializers[name] = Tensor.FromArray(new[] { value }, []);
        Scalar("stretch", 1.2f); Scalar("gamma", -0.1f); Scalar("zero", 0f); Scalar("one", 1f); Scalar("two", 2f);
        g.Add("Sigmoid", ["v"], ["s"]);
        g.Add("Mul", ["s", "stretch"], ["s1"]);
        g.Add("Add", ["s1", "gamma"], ["s2"]);
        g.Add("Clip", ["s2", "zero", "one"], ["h"]);
        g.Add("Mul", ["h", "delta"], ["hd"]);
        g.Add("Add", ["down", "hd"], ["w"]);
        g.Add("Mul", ["h", "two"], ["h2"]);
        g.Add("Sub", ["h2", "one"], ["centred"]);
        g.Add("Abs", ["centred"], ["a"]);
        g.Add("Pow", ["a", "beta"], ["p"]);
        g.Add("Sub", ["one", "p"], ["comp"]);
        g.Add("ReduceSum", ["comp"], ["reg"]).With("keepdims", 0L);
        return g;
    }
}
