using LowBit.Nn;
using LowBit.Nn.Zoo;
using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Nn.Zoo;

/// <summary>The clipped softmax and the gate of <see cref="AttentionVariants"/> on tiny graphs, against scalar references
/// in double and against ONNX Runtime.</summary>
public class AttentionVariantsTests
{
    private const int T = 5;

    /// <summary>softmax over the last axis of x [rows, T], then (softmax → clipped) in the graph.</summary>
    private static LowBit.Graph.Graph ClippedGraph()
    {
        var b = new GraphBuilder("clipped");
        string x = b.Input("x", DType.Float32, T);
        string a = AttentionVariants.ClippedSoftmax(b, b.Softmax(x), T);
        b.Output(a, "y", DType.Float32, T);
        return b.Graph;
    }

    private static double[] ClippedReference(float[] row)
    {
        double gamma = -AttentionVariants.Alpha / T, zeta = AttentionVariants.Zeta;
        double max = row.Max();
        var e = row.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => Math.Clamp((zeta - gamma) * v / sum + gamma, 0, 1)).ToArray();
    }

    [Fact]
    public void ClippedSoftmax_MixedRows_MatchScalarReferenceWithExactZerosAndOnes()
    {
        // γ = −α/T = −0.1, clip threshold p ≤ α/(T + α) = 1/11. Row 0: one dominant logit → 1 there (up to float rounding of
        // 1.1·p − 0.1) and exact 0 elsewhere (a head that does nothing, with a finite logit gap); row 1: uniform p = 0.2 →
        // 0.12 everywhere (uniform attention survives: the model can train from a uniform start); row 2: p ≈ (0.905,
        // 0.045, 0.017, 0.017, 0.017) → (0.896, 0, 0, 0, 0).
        float[] data = [20, 0, 0, 0, 0, 1, 1, 1, 1, 1, 3, 0, -1, -1, -1];
        var g = ClippedGraph();
        var y = new Session(g).Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(data, 3, T) })["y"].ToFloatArray();
        for (int r = 0; r < 3; r++)
        {
            var expected = ClippedReference(data[(r * T)..((r + 1) * T)]);
            for (int j = 0; j < T; j++) Assert.Equal(expected[j], y[r * T + j], 5);  // float32 softmax: 1e-5 absolute
        }
        Assert.InRange(y[0], 1 - 1e-6f, 1f);
        Assert.All(y[1..5], v => Assert.Equal(0f, v));
        Assert.All(y[5..10], v => Assert.Equal(0.12f, v, 1e-6f));
        Assert.InRange(y[10], 0.88f, 0.91f);
        Assert.All(y[11..], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ClippedSoftmax_Gamma_IsMinusAlphaOverT()
    {
        Assert.Equal(-0.5 / 49, AttentionVariants.Gamma(49), 6);
        Assert.True(AttentionVariants.Gamma(64) < 0);
    }

    /// <summary>x [N, T, D] with D = H·d; gate alone applied to a context of ones, so the output is π itself.</summary>
    private static LowBit.Graph.Graph GateGraph(int heads, int d, float bias)
    {
        var b = new GraphBuilder("gate", seed: 3);
        string x = b.Input("x", DType.Float32, 2, heads * d);
        string ctx = b.Reshape(b.Mul(x, b.Scalar(0f)), [0, 0, heads, d], "zero");
        ctx = b.Add(ctx, b.Scalar(1f), "ones");
        string y = AttentionVariants.Gate(b, x, ctx, heads, d);
        b.Output(y, "y", DType.Float32, 2, heads, d);
        b.Graph.Initializers["gate.bias"].AsSpan<float>().Fill(bias);
        return b.Graph;
    }

    [Fact]
    public void Gate_Default_MatchesScalarReference()
    {
        const int heads = 2, d = 3;
        var g = GateGraph(heads, d, AttentionVariants.GateBiasInit);
        var w = g.Initializers["gate.weight"].ToFloatArray();
        var rng = new Random(5);
        var x = Enumerable.Range(0, 2 * heads * d).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var y = new Session(g).Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(x, 1, 2, heads * d) })["y"].ToFloatArray();
        for (int t = 0; t < 2; t++)
            for (int h = 0; h < heads; h++)
            {
                double z = AttentionVariants.GateBiasInit;
                for (int i = 0; i < d; i++) z += x[t * heads * d + h * d + i] * w[h * d + i];
                double pi = 1 / (1 + Math.Exp(-z));
                for (int i = 0; i < d; i++) Assert.Equal(pi, y[(t * heads + h) * d + i], 5);
            }
    }

    [Fact]
    public void Gate_VeryNegativeBias_OutputsZero()
    {
        var g = GateGraph(2, 3, -100f);
        var x = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i / 6).ToArray(), 1, 2, 6);
        var y = new Session(g).Run(new Dictionary<string, Tensor> { ["x"] = x })["y"].ToFloatArray();
        Assert.All(y, v => Assert.True(v < 1e-30f, $"gate closed should output ≈ 0, got {v}"));
    }

    [Fact]
    public void GatedVit_ClosedGates_AttentionAddsNothing()
    {
        // With every gate closed the attention branch is 0, so the model equals the same model with its attention
        // output projections' weights and biases zeroed.
        var o = new VitOptions(patchSize: 7, depth: 1, attention: AttentionKind.Gated);
        var gated = Vit.Build(o);
        foreach (var (name, t) in gated.Initializers)
            if (name.EndsWith("gate.bias", StringComparison.Ordinal)) t.AsSpan<float>().Fill(-1000f);
        var cut = Vit.Build(o);
        foreach (var (name, t) in cut.Initializers)
            if (name.Contains("attn.proj.", StringComparison.Ordinal)) t.AsSpan<float>().Clear();
        var feed = ZooCases.Inputs(gated, batch: 2, seed: 4);
        var a = new Session(gated).Run(feed)["logits"];
        var b = new Session(cut).Run(feed)["logits"];
        TensorAssert.Close(b, a, 0, 1e-5);
    }

    [Fact]
    public void ClippedSoftmax_Graph_MatchesOnnxRuntime()
    {
        var g = ClippedGraph();
        var feed = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(new float[] { 9, 0, 0, 0, 0, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f }, 2, T) };
        using var ort = OrtRunner.FromGraph(g, threads: 1);
        TensorAssert.Close(ort.Run(feed)["y"], new Session(g).Run(feed)["y"], 1e-6, 1e-6);
    }
}
