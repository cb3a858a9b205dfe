using LowBit.Nn;
using LowBit.Quantization;
using LowBit.Quantization.Prepare;
using LowBit.Quantization.Search;
using LowBit.Reports;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization.Search;

public class LayerRelevanceTests
{
    private static Tensor RandomInput(int n, int[] dims, int seed)
    {
        var rng = new Random(seed);
        var data = new float[n * dims.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(data, [n, .. dims]);
    }

    /// <summary>Conv → ReLU → MaxPool → Conv → ReLU → Flatten → MatMul → ReLU → MatMul, no biases anywhere.</summary>
    private static Graph.Graph BiasFreeCnn()
    {
        var b = new GraphBuilder("biasfree", 4);
        string x = b.Input("x", DType.Float32, 2, 8, 8);
        string h = b.MaxPool(b.Relu(b.Conv(x, 2, 4, 3, bias: false, name: "conv1")), 2, 2);
        h = b.Flatten(b.Relu(b.Conv(h, 4, 4, 3, bias: false, name: "conv2")), 1);
        h = b.Relu(b.Dense(h, 64, 12, "fc1", std: 0.3, bias: false));
        b.Output(b.Dense(h, 12, 5, "fc2", std: 0.3, bias: false), "logits", DType.Float32, 5);
        return b.Graph;
    }

    [Fact]
    public void Maps_BiasFreeReluCnn_RelevanceOfEveryLayerSumsToTheTargetLogit()
    {
        var g = BiasFreeCnn();
        var layers = LayerRelevance.Layers(g);
        Assert.Equal(["conv1", "conv2", "fc1", "fc2"], layers.Select(l => l.Node));
        var session = LayerRelevance.Session(g, threads: 1);
        var maps = LayerRelevance.Maps(session, layers, new Dictionary<string, Tensor> { ["x"] = RandomInput(6, [2, 8, 8], 1) }, null, out var logits);
        var targets = LayerRelevance.Targets(logits, null);
        var z = logits.ToFloatArray();
        foreach (var (node, output) in layers)
        {
            var r = maps[output].ToFloatArray();
            int per = r.Length / 6;
            for (int s = 0; s < 6; s++)
            {
                var row = r.Skip(s * per).Take(per).ToArray();
                double sum = row.Sum(v => (double)v), abs = row.Sum(v => Math.Abs((double)v)), y = z[s * 5 + targets[s]];
                // Euler's theorem for degree-1 homogeneous maps is exact; what is left is float32 rounding of the forward and
                // backward products, a few ulps of the terms summed: 1e-5 of Σ|R| (plus 1e-6 for all-zero rows).
                Assert.True(Math.Abs(sum - y) <= 1e-5 * abs + 1e-6, $"{node} sample {s}: Σ R = {sum:G9}, y_c = {y:G9}, Σ|R| = {abs:G4}");
            }
        }
    }

    [Fact]
    public void Compute_BiasFreeReluCnn_SignedRelevanceIsTheMeanTargetLogit()
    {
        var g = BiasFreeCnn();
        var batches = new[] { 0, 1 }.Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { ["x"] = RandomInput(5, [2, 8, 8], 10 + i) }).ToList();
        var stats = LayerRelevance.Compute(g, batches, null, threads: 1);
        var session = new Runtime.Session(g);
        double mean = batches.Sum(b =>
        {
            var l = session.Run(b)["logits"];
            var t = LayerRelevance.Targets(l, null);
            var v = l.ToFloatArray();
            return t.Select((c, s) => (double)v[s * 5 + c]).Sum();
        }) / 10;
        Assert.Equal(10, stats.Samples);
        // Same float32 rounding as above, on means of ~1: 1e-5 absolute.
        foreach (var (node, signed) in stats.Signed) Assert.True(Math.Abs(signed - mean) < 1e-5, $"{node}: {signed:G9} vs mean logit {mean:G9}");
        // The absolute sums differ between layers (that is what ranks them) and are ≥ |Σ R|.
        Assert.All(stats.Absolute, kv => Assert.True(kv.Value >= Math.Abs(mean) - 1e-5, kv.Key));
        Assert.True(stats.Absolute.Values.Max() > 1.05 * stats.Absolute.Values.Min());
    }

    [Fact]
    public void Maps_TanhMlpWithBiases_MatchesFiniteDifferencesOfTheLogit()
    {
        // Oracle: R_j = z_j ∂y_c/∂z_j = d/dt y_c(z_j → (1 + t) z_j) at t = 0, by central differences in double precision on
        // the same weights (scaling row j of W and b_j by 1 + t scales z_j alone).
        const int d = 6, hdim = 8, c = 4;
        var b = new GraphBuilder("mlp", 2);
        string x = b.Input("x", DType.Float32, d);
        string h = b.Op("Tanh", "tanh", [b.Linear(x, d, hdim, "fc1")]);
        b.Output(b.Linear(h, hdim, c, "fc2"), "logits", DType.Float32, c);
        var g = b.Graph;
        var rng = new Random(9);
        g.Initializers["fc1.bias"] = Tensor.FromArray(Enumerable.Range(0, hdim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(), hdim);
        g.Initializers["fc2.bias"] = Tensor.FromArray(Enumerable.Range(0, c).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(), c);
        double[] W(string n) => g.Initializers[n].ToFloatArray().Select(v => (double)v).ToArray();
        var (w1, b1, w2, b2) = (W("fc1.weight"), W("fc1.bias"), W("fc2.weight"), W("fc2.bias"));
        var input = RandomInput(3, [d], 4);
        var xs = input.ToFloatArray();

        double Logit(int s, int cls, int unit, double scale)
        {
            var a = new double[hdim];
            for (int j = 0; j < hdim; j++)
            {
                double zj = b1[j];
                for (int i = 0; i < d; i++) zj += w1[j * d + i] * xs[s * d + i];
                a[j] = Math.Tanh(j == unit ? zj * scale : zj);
            }
            double y = b2[cls];
            for (int j = 0; j < hdim; j++) y += w2[cls * hdim + j] * a[j];
            return y;
        }

        var layers = LayerRelevance.Layers(g);
        var maps = LayerRelevance.Maps(LayerRelevance.Session(g, 1), layers, new Dictionary<string, Tensor> { ["x"] = input }, null, out var logits);
        var targets = LayerRelevance.Targets(logits, null);
        var r1 = maps["fc1"].ToFloatArray();
        var r2 = maps["logits"].ToFloatArray();
        const double t = 1e-5;
        for (int s = 0; s < 3; s++)
        {
            for (int j = 0; j < hdim; j++)
            {
                double fd = (Logit(s, targets[s], j, 1 + t) - Logit(s, targets[s], j, 1 - t)) / (2 * t);
                // Double central difference: truncation O(t²) ≈ 1e-10; the float32 forward/backward: ~1e-6 relative.
                Assert.True(Math.Abs(fd - r1[s * hdim + j]) <= 1e-5 + 1e-4 * Math.Abs(fd), $"sample {s} unit {j}: FD {fd:G8}, autograd {r1[s * hdim + j]:G8}");
            }
            // At the logits themselves R = y ⊙ onehot(c).
            for (int k = 0; k < c; k++)
                Assert.Equal(k == targets[s] ? Logit(s, k, -1, 1) : 0, r2[s * c + k], 1e-5);
        }
    }

    [Fact]
    public void Compute_ScaledDownBranch_GetsLowRelevance_AndScoresAreNormalized()
    {
        // logits = A(x) + 10⁻³·B(x) with two equal-shaped ReLU branches: B's layers carry ~10⁻³ of A's relevance.
        var b = new GraphBuilder("branches", 3);
        string x = b.Input("x", DType.Float32, 10);
        string a = b.Linear(b.Relu(b.Linear(x, 10, 16, "a1")), 16, 4, "a2");
        string q = b.Linear(b.Relu(b.Linear(x, 10, 16, "b1")), 16, 4, "b2");
        b.Output(b.Add(a, b.Mul(q, b.Scalar(1e-3f))), "logits", DType.Float32, 4);
        var batch = new Dictionary<string, Tensor> { ["x"] = RandomInput(32, [10], 5) };
        var stats = LayerRelevance.Compute(b.Graph, [batch], null, threads: 1);
        Assert.Equal(1.0, stats.Normalized.Values.Sum(), 12);
        Assert.All(stats.Normalized.Values, v => Assert.True(v >= 0));
        double total = stats.Absolute.Values.Sum();
        Assert.All(stats.Normalized, kv => Assert.Equal(stats.Absolute[kv.Key] / total, kv.Value, 12));
        Assert.True(stats.Normalized["b1"] < 0.01 && stats.Normalized["b2"] < 0.01, string.Join(", ", stats.Normalized));
        Assert.True(stats.Normalized["a1"] > 0.3 && stats.Normalized["a2"] > 0.3, string.Join(", ", stats.Normalized));
    }

    [Fact]
    public void Compute_Labels_ChangeTheTargetClass()
    {
        var g = BiasFreeCnn();
        var input = RandomInput(4, [2, 8, 8], 3);
        var predicted = LayerRelevance.Targets(new Runtime.Session(g).Run(new Dictionary<string, Tensor> { ["x"] = input })["logits"], null);
        IReadOnlyDictionary<string, Tensor> Batch(IEnumerable<int> y) => new Dictionary<string, Tensor>
            { ["x"] = input, ["y"] = Tensor.FromArray(y.Select(v => (long)v).ToArray(), 4) };
        var byPrediction = LayerRelevance.Compute(g, [Batch(predicted)], "y", threads: 1);
        var argmax = LayerRelevance.Compute(g, [Batch(predicted)], null, threads: 1);
        var other = LayerRelevance.Compute(g, [Batch(predicted.Select(c => (c + 1) % 5))], "y", threads: 1);
        Assert.Equal(argmax.Absolute["fc1"], byPrediction.Absolute["fc1"], 12);
        Assert.NotEqual(argmax.Absolute["fc1"], other.Absolute["fc1"], 6);
        Assert.Throws<LowBitException>(() => LayerRelevance.Compute(g, [Batch([0, 1, 2, 9])], "y", threads: 1));
    }

    [Fact]
    public void Measure_WithRelevance_ScoresGrowWithFewerBitsAndFloatIsZero()
    {
        var model = QuantTestModels.ConvNet();
        var calib = QuantTestModels.RandomData(model, 4, batch: 1, seed: 3);
        var data = QuantTestModels.RandomData(model, 2, batch: 8, seed: 5);
        var config = new QuantizerConfig(QuantMode.Static, WeightQuantConfig.Int8PerChannel);
        var relevance = LayerRelevance.Compute(GraphPreparation.Run(model).Graph, data, null, threads: 1);
        var t = LayerSensitivity.Measure(model, config, FormatChoice.All(config, ["int8", "int4", "float"], null), calib,
            data.Select(d => new EvalBatch(d, null)).ToList(), new SensitivityOptions { Threads = 1, Relevance = relevance });
        foreach (var node in new[] { "conv1", "conv2", "conv3", "fc" })
        {
            var (i8, i4, f) = (t.Row(node, "int8")!, t.Row(node, "int4")!, t.Row(node, "float")!);
            Assert.Equal(relevance.Normalized[node], i4.Relevance!.Value, 12);
            Assert.Equal(i4.Relevance, i8.Relevance);
            Assert.True(i4.Relevance > 0, node);
            // R_l · N_l(f), the same product the allocator sums.
            Assert.Equal(i4.Relevance!.Value * i4.Noise, i4.Score(SensitivityMethod.Lrp)!.Value, 15);
            Assert.Equal(i8.Relevance!.Value * i8.Noise, i8.Score(SensitivityMethod.Lrp)!.Value, 15);
            Assert.True(i4.Lrp > i8.Lrp && i8.Lrp > 0, $"{node}: {i4.Lrp} / {i8.Lrp}");
            Assert.Equal(0, f.Lrp);
        }
        // Nodes without weights (MaxPool, Add, Concat) have no relevance of their own; the weighted ones share 1.
        Assert.Equal(1.0, t.Rows.Where(r => r.Format == "int4").Sum(r => r.Relevance!.Value), 9);
        Assert.All(t.Rows.Where(r => r.Parameters == 0), r => Assert.Equal(0, r.Lrp));
    }
}
