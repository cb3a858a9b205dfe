using LowBit.Nn;
using LowBit.Quantization.Prepare;
using LowBit.Quantization.Search;
using LowBit.Runtime;
using LowBit.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace LowBit.Tests.Quantization.Search;

public class GradientSensitivityTests(ITestOutputHelper output)
{
    private const string W = LinearClassifier.Weight, Bias = LinearClassifier.Bias;
    private static readonly Lazy<LinearClassifier> Trained = new(() => new LinearClassifier());

    [Fact]
    public void Fixture_TrainedClassifier_IsAtAnOptimum()
    {
        var m = Trained.Value;
        var (gw, gb) = m.Gradient(m.W.Select(v => (double)v).ToArray(), m.B.Select(v => (double)v).ToArray());
        // The second-order checks below assume gᵀδ ≪ ½δᵀHδ; 1e-4 is far below the ~1e-2 curvature terms they use.
        double norm = Math.Sqrt(gw.Concat(gb).Sum(v => v * v));
        Assert.True(norm < 1e-4, $"‖∇ℓ‖ = {norm:G3}");
    }

    [Fact]
    public void Compute_LinearSoftmax_HutchinsonTraceMatchesClosedForm()
    {
        var m = Trained.Value;
        const int probes = 64;
        var stats = GradientSensitivity.Compute(m.Graph(), [W], m.Batches(batch: 64, targets: m.Y), "y", probes, seed: 5, threads: 1);
        // Tr(H_WW) = (1/S) Σ_s (Σ_c p_c(1 − p_c))·‖x_s‖².
        double exact = Enumerable.Range(0, m.S).Average(s => m.Probs(s).Sum(p => p * (1 - p)) * m.X[s].Sum(x => (double)x * x));
        // One Rademacher probe has Var(vᵀHv) = 2 Σ_{i≠j} H_ij²; the tolerance, 10 %, must cover 3σ of the 64-probe mean
        // (the finite-difference error, ~1e-4 relative, is negligible next to it).
        var h = m.HessianWW();
        double off = 0;
        for (int i = 0; i < h.GetLength(0); i++) for (int j = 0; j < h.GetLength(1); j++) if (i != j) off += h[i, j] * h[i, j];
        double sigma = Math.Sqrt(2 * off / probes);
        Assert.True(3 * sigma < 0.1 * exact, $"3σ = {3 * sigma:G3} does not fit the 10 % tolerance of {exact:G4}");
        double est = stats.HessianTrace[W];
        output.WriteLine($"trace {est:G6} exact {exact:G6} σ {sigma:G3}");
        Assert.True(Math.Abs(est - exact) <= 0.1 * exact, $"Hutchinson {est:G5} vs closed form {exact:G5}");
        Assert.Equal(m.S, stats.Samples);
        Assert.Equal(probes, stats.Probes);
    }

    [Fact]
    public void HessianVector_LinearSoftmax_MatchesClosedForm()
    {
        var m = Trained.Value;
        var rng = new Random(11);
        var vw = Enumerable.Range(0, m.C * m.D).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var vb = Enumerable.Range(0, m.C).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var hv = GradientSensitivity.HessianVector(m.Graph(), [W, Bias], m.Batches(batch: 64, targets: m.Y), "y",
            new Dictionary<string, float[]> { [W] = vw, [Bias] = vb }, threads: 1);
        // (Hv)_W = (1/S) Σ_s A_s u_s ⊗ x_s, (Hv)_b = (1/S) Σ_s A_s u_s with u = V x + v_b, A = diag(p) − ppᵀ.
        var (ew, eb) = (new double[m.C * m.D], new double[m.C]);
        for (int s = 0; s < m.S; s++)
        {
            var p = m.Probs(s);
            var u = Enumerable.Range(0, m.C).Select(c => vb[c] + Enumerable.Range(0, m.D).Sum(j => (double)vw[c * m.D + j] * m.X[s][j])).ToArray();
            double pu = p.Zip(u, (a, b) => a * b).Sum();
            for (int c = 0; c < m.C; c++)
            {
                double au = p[c] * (u[c] - pu) / m.S;
                eb[c] += au;
                for (int j = 0; j < m.D; j++) ew[c * m.D + j] += au * m.X[s][j];
            }
        }
        // Central differences of a smooth loss: truncation O(η²) ≈ 1e-6, float32 gradient rounding over 2ε ≈ 1e-4.
        TensorAssert.RelativeMax(Tensor.FromArray(ew), Tensor.FromArray(hv[W].Select(v => (double)v).ToArray()), 1e-3, "Hv_W");
        TensorAssert.RelativeMax(Tensor.FromArray(eb), Tensor.FromArray(hv[Bias].Select(v => (double)v).ToArray()), 1e-3, "Hv_b");
    }

    [Fact]
    public void Compute_LinearSoftmax_FisherIsMeanSquaredPerSampleGradient()
    {
        var m = Trained.Value;
        var stats = GradientSensitivity.Compute(m.Graph(), [W, Bias], m.Batches(batch: 100, targets: m.Y), "y", probes: 0, threads: 1);
        // ∂ℓ_s/∂W_cj = (p_c − y_c)·x_j, ∂ℓ_s/∂b_c = p_c − y_c; F = mean of their squares.
        var (fw, fb) = (new double[m.C * m.D], new double[m.C]);
        for (int s = 0; s < m.S; s++)
        {
            var p = m.Probs(s);
            for (int c = 0; c < m.C; c++)
            {
                double e = p[c] - (m.Y[s] == c ? 1 : 0);
                fb[c] += e * e / m.S;
                for (int j = 0; j < m.D; j++) fw[c * m.D + j] += e * e * m.X[s][j] * m.X[s][j] / m.S;
            }
        }
        // float32 logits and softmax: per-sample gradients carry ~1e-6 relative error, squares ~2e-6.
        TensorAssert.RelativeMax(Tensor.FromArray(fw), Tensor.FromArray(stats.FisherDiagonal[W].Select(v => (double)v).ToArray()), 1e-5, "F_W");
        TensorAssert.RelativeMax(Tensor.FromArray(fb), Tensor.FromArray(stats.FisherDiagonal[Bias].Select(v => (double)v).ToArray()), 1e-5, "F_b");
        Assert.Empty(stats.HessianTrace);
        Assert.Throws<InvalidOperationException>(() => stats.HessianLoss(W, new float[m.C * m.D]));
    }

    [Fact]
    public void LossEstimates_SmallRandomPerturbation_WithinFactorTwoOfMeasured()
    {
        var m = Trained.Value;
        var stats = GradientSensitivity.Compute(m.Graph(), [W], m.Batches(batch: 64, targets: m.Y), "y", probes: 32, threads: 1);
        var rng = new Random(4);
        // δ ~ 0.05·N(0, I): the loss moves by ~1e-3, far above double rounding and far below the cubic term.
        var delta = Enumerable.Range(0, m.C * m.D)
            .Select(_ => (float)(0.05 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();
        double measured = m.Loss(delta) - m.Loss(new float[delta.Length]);
        double fisher = stats.FisherLoss(W, delta), hessian = stats.HessianLoss(W, delta);
        output.WriteLine($"measured {measured:G4} fisher {fisher:G4} hessian {hessian:G4}");
        // At the optimum ℓ(w+δ) − ℓ(w) ≈ ½δᵀHδ; the Fisher equals H only in expectation (well-specified model, finite S)
        // and Tr(H)/n·‖δ‖² equals δᵀHδ only on average over isotropic δ: factor 2 covers both.
        Assert.InRange(fisher / measured, 0.5, 2);
        Assert.InRange(hessian / measured, 0.5, 2);
    }

    [Fact]
    public void LossEstimates_InfluentialBranch_RankAboveQuietBranch()
    {
        // logits = x₁W₁ᵀ + x₂W₂ᵀ with x₂ ten times smaller than x₁: gradients in W₂ are 10× smaller, Fisher 100×.
        var b = new GraphBuilder("branches", 1);
        string x1 = b.Input("x1", DType.Float32, 8), x2 = b.Input("x2", DType.Float32, 8);
        b.Output(b.Add(b.Linear(x1, 8, 4, "loud"), b.Linear(x2, 8, 4, "quiet")), "logits", DType.Float32, 4);
        var rng = new Random(2);
        Tensor Uniform(float scale) => Tensor.FromArray(Enumerable.Range(0, 32 * 8).Select(_ => scale * (float)(rng.NextDouble() * 2 - 1)).ToArray(), 32, 8);
        var batch = new Dictionary<string, Tensor> { ["x1"] = Uniform(1), ["x2"] = Uniform(0.1f) };
        var stats = GradientSensitivity.Compute(b.Graph, ["loud.weight", "quiet.weight"], [batch], null, probes: 16, threads: 1);
        var delta = Enumerable.Range(0, 32).Select(i => 0.05f * MathF.Sin(i)).ToArray();
        Assert.True(stats.FisherLoss("loud.weight", delta) > 10 * stats.FisherLoss("quiet.weight", delta));
        Assert.True(stats.HessianLoss("loud.weight", delta) > 10 * stats.HessianLoss("quiet.weight", delta));
    }

    [Fact]
    public void Compute_Unlabelled_EqualsLabelledWithPredictions()
    {
        // An untrained classifier: its predictions differ from the data labels, so the two modes are distinguishable.
        var m = new LinearClassifier(d: 6, c: 3, samples: 20, trainSteps: 0);
        var g = m.Graph();
        g.Initializers[W] = Tensor.FromArray(Enumerable.Range(0, 18).Select(i => 0.3f * MathF.Cos(i)).ToArray(), 3, 6);
        var predicted = m.Batches(batch: 8).SelectMany(bt => GradientTestData.Argmax(new Session(g).Run(bt)["logits"])).ToArray();
        Assert.NotEqual(m.Y, predicted);
        var unlabelled = GradientSensitivity.Compute(g, [W, Bias], m.Batches(batch: 8), null, probes: 3, seed: 9, threads: 1);
        var labelled = GradientSensitivity.Compute(g, [W, Bias], m.Batches(batch: 8, targets: predicted), "y", probes: 3, seed: 9, threads: 1);
        var data = GradientSensitivity.Compute(g, [W, Bias], m.Batches(batch: 8, targets: m.Y), "y", probes: 0, threads: 1);
        foreach (string w in new[] { W, Bias })
        {
            Assert.Equal(labelled.FisherDiagonal[w], unlabelled.FisherDiagonal[w]);
            Assert.Equal(labelled.HessianTrace[w], unlabelled.HessianTrace[w]);
        }
        Assert.NotEqual(data.FisherDiagonal[W], unlabelled.FisherDiagonal[W]);
    }

    [Fact]
    public void Compute_CallerGraph_InitializersUnchangedBitwise()
    {
        // Unprepared, so BatchNormalization is still a node: in training mode it would update its running statistics
        // (shared initializer tensors) in place; the inference-mode tape must leave them alone too.
        var g = QuantTestModels.ConvNet();
        var before = g.Initializers.ToDictionary(kv => kv.Key, kv => (kv.Value, Bytes: kv.Value.RawBytes().ToArray()));
        var weights = GradientTestData.ConvWeights(g);
        GradientSensitivity.Compute(g, weights, QuantTestModels.RandomData(g, 2, batch: 3), null, probes: 2, threads: 1);
        Assert.Equal(before.Keys.Order(), g.Initializers.Keys.Order());
        foreach (var (name, (tensor, bytes)) in before)
        {
            Assert.Same(tensor, g.Initializers[name]);
            Assert.True(bytes.AsSpan().SequenceEqual(g.Initializers[name].RawBytes()), $"initializer '{name}' changed");
        }
    }

    [Fact]
    public void Compute_ConvNet_ClassifierStatsMatchClosedFormOnFeatures()
    {
        var g = GraphPreparation.Run(QuantTestModels.ConvNet()).Graph;
        var weights = GradientTestData.ConvWeights(g);
        var data = QuantTestModels.RandomData(g, 8, batch: 8, seed: 3);
        var reports = new List<(long Done, long Total)>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var stats = GradientSensitivity.Compute(g, weights, data, null, probes: 8, progress: new GradientTestData.Inline(reports.Add));
        output.WriteLine($"ConvNet, 64 samples, 8 probes, {weights.Count} weights: {watch.Elapsed.TotalSeconds:F2} s");
        foreach (var w in weights)
        {
            Assert.All(stats.FisherDiagonal[w], f => Assert.True(f >= 0 && float.IsFinite(f)));
            Assert.True(double.IsFinite(stats.HessianTrace[w]));
            output.WriteLine($"{w}: ΣF {stats.FisherDiagonal[w].Sum():G4}  Tr H {stats.HessianTrace[w]:G4}");
        }
        Assert.Equal((64L * 8, 64L * 8), reports[^1]);

        // The logits are linear in the classifier weight: z = W f + b with f the pooled features, so with predicted labels
        // y = argmax z, ∂ℓ/∂W_cj = (p_c − y_c) f_j and H_WW = (1/S) Σ A ⊗ f fᵀ (A = diag(p) − ppᵀ), as for the linear model.
        const string fc = "fc.weight";
        var (feats, probs) = (new List<float[]>(), new List<double[]>());
        var session = new Session(g);
        foreach (var batch in data)
        {
            var outs = session.Run(batch, ["flatten", "logits"]);
            var (f, z) = (outs["flatten"].ToFloatArray(), outs["logits"].ToFloatArray());
            for (int r = 0; r < 8; r++)
            {
                feats.Add(f[(r * 16)..((r + 1) * 16)]);
                var e = z[(r * 10)..((r + 1) * 10)].Select(v => Math.Exp(v)).ToArray();
                probs.Add(e.Select(v => v / e.Sum()).ToArray());
            }
        }
        var fisher = new double[160];
        for (int s = 0; s < 64; s++)
        {
            int y = Array.IndexOf(probs[s], probs[s].Max());
            for (int c = 0; c < 10; c++)
                for (int j = 0; j < 16; j++) fisher[c * 16 + j] += Math.Pow((probs[s][c] - (c == y ? 1 : 0)) * feats[s][j], 2) / 64;
        }
        // The session's fused forward and the tape's forward round differently: ~1e-7 relative on the squares.
        TensorAssert.RelativeMax(Tensor.FromArray(fisher), Tensor.FromArray(stats.FisherDiagonal[fc].Select(v => (double)v).ToArray()), 1e-5, "F_fc");

        // Probing the classifier alone removes the cross-layer terms, so the 32-probe mean has the closed-form σ.
        const int probes = 32;
        var only = GradientSensitivity.Compute(g, [fc], data, null, probes, seed: 1, threads: 1);
        double exact = Enumerable.Range(0, 64).Average(s => probs[s].Sum(p => p * (1 - p)) * feats[s].Sum(x => (double)x * x));
        double off = 0;
        for (int i = 0; i < 160; i++)
            for (int k = i + 1; k < 160; k++)
            {
                double h = 0;
                for (int s = 0; s < 64; s++)
                {
                    var p = probs[s];
                    var (c, j, e, l) = (i / 16, i % 16, k / 16, k % 16);
                    h += ((c == e ? p[c] : 0) - p[c] * p[e]) * feats[s][j] * feats[s][l] / 64;
                }
                off += 2 * h * h;
            }
        double sigma = Math.Sqrt(2 * off / probes);
        output.WriteLine($"fc trace {only.HessianTrace[fc]:G5}, closed form {exact:G5}, σ {sigma:G3}");
        Assert.True(Math.Abs(only.HessianTrace[fc] - exact) <= 3 * sigma, $"Hutchinson {only.HessianTrace[fc]:G5} vs {exact:G5} (3σ {3 * sigma:G3})");
    }

    [Fact]
    public void HessianVector_SmoothMlp_IsSymmetric()
    {
        // Gelu is smooth, so H = ∇²ℓ is symmetric and the central difference converges: uᵀ(Hv) = vᵀ(Hu) up to the
        // O(η²) ≈ 1e-4 truncation; the tolerance is 1e-3 of the Cauchy–Schwarz scale ‖u‖‖Hv‖. The cross-layer
        // blocks H_12 enter both products, so a sign or restore error in multi-weight perturbation breaks it.
        var b = new GraphBuilder("gelu", 5);
        b.Output(b.Linear(b.Gelu(b.Linear(b.Input("x", DType.Float32, 6), 6, 12, "fc1")), 12, 4, "fc2"), "logits", DType.Float32, 4);
        string[] weights = ["fc1.weight", "fc2.weight", "fc1.bias"];
        var data = QuantTestModels.RandomData(b.Graph, 3, batch: 10, seed: 2, lo: -2, hi: 2);
        var rng = new Random(8);
        Dictionary<string, float[]> Direction() => weights.ToDictionary(w => w, w => Enumerable.Range(0, b.Graph.Initializers[w].Length).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray());
        var (u, v) = (Direction(), Direction());
        var (hu, hv) = (GradientSensitivity.HessianVector(b.Graph, weights, data, null, u, threads: 1), GradientSensitivity.HessianVector(b.Graph, weights, data, null, v, threads: 1));
        double Dot(Dictionary<string, float[]> x, Dictionary<string, float[]> y) => weights.Sum(w => x[w].Zip(y[w], (p, q) => (double)p * q).Sum());
        double uHv = Dot(u, hv), vHu = Dot(v, hu), scale = Math.Sqrt(Dot(u, u) * Dot(hv, hv));
        output.WriteLine($"uᵀHv {uHv:G6} vᵀHu {vHu:G6} scale {scale:G4}");
        Assert.True(Math.Abs(uHv - vHu) <= 1e-3 * scale, $"uᵀHv {uHv:G6} vs vᵀHu {vHu:G6}");
    }

    [Fact]
    public void Compute_DropoutModel_GradientsOfInferenceFunction()
    {
        // Dropout(0.5) in training mode would zero half the activations; the inference function is the identity.
        var with = new GraphBuilder("mlp", 4);
        with.Output(with.Linear(with.Dropout(with.Relu(with.Linear(with.Input("x", DType.Float32, 6), 6, 8, "fc1")), 0.5f), 8, 3, "fc2"), "logits", DType.Float32, 3);
        var without = new GraphBuilder("mlp", 4);
        without.Output(without.Linear(without.Relu(without.Linear(without.Input("x", DType.Float32, 6), 6, 8, "fc1")), 8, 3, "fc2"), "logits", DType.Float32, 3);
        var data = QuantTestModels.RandomData(with.Graph, 2, batch: 4);
        string[] weights = ["fc1.weight", "fc2.weight"];
        var a = GradientSensitivity.Compute(with.Graph, weights, data, null, probes: 2, threads: 1);
        var b = GradientSensitivity.Compute(without.Graph, weights, data, null, probes: 2, threads: 1);
        foreach (var w in weights)
        {
            Assert.Equal(b.FisherDiagonal[w], a.FisherDiagonal[w]);
            Assert.Equal(b.HessianTrace[w], a.HessianTrace[w]);
        }
    }

    [Fact]
    public void Compute_NonClassifierOutputs_ThrowUsageNamingOutput()
    {
        var two = new GraphBuilder("two", 0);
        string x = two.Input("x", DType.Float32, 4);
        two.Output(two.Linear(x, 4, 3, "a"), "first", DType.Float32, 3);
        two.Output(two.Linear(x, 4, 3, "b"), "second", DType.Float32, 3);
        var e = Assert.Throws<LowBitException>(() => GradientSensitivity.Compute(two.Graph, ["a.weight"], [], null));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("second", e.Message);

        var seq = new GraphBuilder("seq", 0);
        seq.Output(seq.Dense(seq.Input("x", DType.Float32, 5, 4), 4, 3, "d"), "tokens", DType.Float32, 5, 3);
        e = Assert.Throws<LowBitException>(() => GradientSensitivity.Compute(seq.Graph, ["d.weight"], [], null));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("tokens", e.Message);
    }
}
