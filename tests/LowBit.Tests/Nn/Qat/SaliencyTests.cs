using LowBit.Graph;
using LowBit.Nn;
using LowBit.Nn.Qat;
using LowBit.Runtime;
using LowBit.Tensors;
using ModelGraph = LowBit.Graph.Graph;

namespace LowBit.Tests.Nn.Qat;

/// <summary>
/// <see cref="Saliency"/>: S_i = Σ_b |∂L_b/∂w_i · w_i|, checked against central finite differences of the cross-entropy on a
/// tiny linear classifier (independent of the autograd), and the weights it scores on the shipped fashion-cnn.
/// </summary>
public sealed class SaliencyTests
{
    /// <summary>logits = x·W + b, x [N, 4], W [4, 3].</summary>
    private static ModelGraph Linear(Random r)
    {
        var g = new ModelGraph { Opsets = new() { [""] = 13 } };
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 5, 4));
        g.Initializers["W"] = Tensor.FromArray(Enumerable.Range(0, 12).Select(_ => (float)(2 * r.NextDouble() - 1)).ToArray(), [4, 3]);
        g.Initializers["b"] = Tensor.FromArray(new[] { 0.1f, -0.2f, 0.3f }, [3]);
        g.Add("MatMul", ["x", "W"], ["xw"], "mm");
        g.Add("Add", ["xw", "b"], ["logits"], "add");
        g.Outputs.Add(new ValueInfo("logits", DType.Float32, null));
        return g;
    }

    private static double Loss(ModelGraph g, Tensor x, Tensor y) =>
        Losses.CrossEntropy(new Session(g).Run(new Dictionary<string, Tensor> { ["x"] = x })["logits"], y).Value;

    [Fact]
    public void Measure_LinearClassifier_EqualsAbsGradientTimesWeightFromFiniteDifferences()
    {
        var r = new Random(11);
        var g = Linear(r);
        var batches = Enumerable.Range(0, 2).Select(_ => (
            Tensor.FromArray(Enumerable.Range(0, 20).Select(_ => (float)(4 * r.NextDouble() - 2)).ToArray(), [5, 4]),
            Tensor.FromArray(Enumerable.Range(0, 5).Select(_ => (long)r.Next(3)).ToArray(), [5]))).ToList();
        var s = Saliency.Measure(g, ["W"], batches)["W"];

        var w = g.Initializers["W"].AsSpan<float>();
        var expected = new double[w.Length];
        const float h = 1e-2f;
        foreach (var (x, y) in batches)
            for (int i = 0; i < w.Length; i++)
            {
                float w0 = g.Initializers["W"].AsSpan<float>()[i];
                g.Initializers["W"].AsSpan<float>()[i] = w0 + h;
                double up = Loss(g, x, y);
                g.Initializers["W"].AsSpan<float>()[i] = w0 - h;
                double down = Loss(g, x, y);
                g.Initializers["W"].AsSpan<float>()[i] = w0;
                expected[i] += Math.Abs((up - down) / (2 * h) * w0);
            }
        // Central differences: O(h²)·L''' ≈ 1e-4 on a loss of order 1, plus float32 rounding of the loss (≈ 1e-7 / h = 1e-5).
        for (int i = 0; i < w.Length; i++)
            Assert.True(Math.Abs(expected[i] - s[i]) <= 5e-4 + 1e-2 * expected[i], $"W[{i}]: finite differences {expected[i]:G6}, saliency {s[i]:G6}");
        // The sum of absolute values, not the absolute value of the sum: some per-batch products have opposite signs here.
        Assert.Contains(Enumerable.Range(0, w.Length), i => s[i] > 0);
    }

    [Fact]
    public void WeightNames_FashionCnn_AreTheSixConvAndGemmWeightsAndParameters()
    {
        string dir = LowBit.Data.Assets.Find("fashion-cnn") ?? throw new InvalidOperationException("assets/fashion-cnn not found");
        var model = LowBit.Onnx.OnnxImporter.Load(Path.Combine(dir, "fashion-cnn.onnx"));
        var qat = QatModelTests.Prepare(model, LowBit.Data.FashionMnist.OpenSubset(), "int2", "uint8", QatMethod.Lsq, calibrate: 8);
        var weights = qat.WeightNames;
        var convAndGemm = model.Nodes.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul").ToList();
        Assert.Equal(convAndGemm.Count, weights.Count);
        Assert.All(weights, w => Assert.Contains(w, qat.Parameters));
        Assert.All(weights, w => Assert.DoesNotContain(w, qat.ScaleNames));
        Assert.All(weights, w => Assert.True(qat.TrainingGraph.Initializers[w].Shape.Length >= 2, $"{w} is not a weight matrix or filter bank"));
    }
}
