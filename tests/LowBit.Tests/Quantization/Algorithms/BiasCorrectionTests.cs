using LowBit.Formats;
using LowBit.Nn;
using LowBit.Quantization;
using LowBit.Quantization.Algorithms;
using LowBit.Runtime;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Algorithms;

public class BiasCorrectionTests
{
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.7, 0.5)]
    [InlineData(-1.5, 2.0)]
    public void ReluMean_MatchesMonteCarlo(double mu, double sigma)
    {
        var rng = new Random(3);
        double sum = 0;
        const int n = 400_000;
        for (int i = 0; i < n; i++)
        {
            double z = mu + sigma * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            sum += Math.Max(z, 0);
        }
        // Monte Carlo standard error ≈ σ/√n ≈ 3e-3 for σ = 2: 1e-2 is > 3 standard errors.
        Assert.Equal(sum / n, BatchNormStats.ReluMean(mu, sigma), 2);
    }

    /// <summary>x → conv1 → BN (running statistics set to conv1's true output statistics on the data, β = 0.5) → Relu → conv2 → y;
    /// conv1 stays float, so conv2's rounding is the only source of the output shift (analytic correction sees only its own layer).</summary>
    private static (Graph.Graph Model, List<IReadOnlyDictionary<string, Tensor>> Data) BnModel()
    {
        var b = new GraphBuilder("bn", 11);
        string x = b.Input("x", DType.Float32, 4, 8, 8);
        string c1 = b.Conv(x, 4, 16, 3, name: "conv1");
        string h = b.Relu(b.BatchNorm(c1, 16, "bn1"), "relu1");
        b.Output(b.Conv(h, 16, 16, 3, name: "conv2"), "y", DType.Float32, 16, 8, 8);
        var g = b.Graph;
        var data = RandomData(g, 24, batch: 2, seed: 5, lo: 0, hi: 1);
        var bn = g.Nodes.Single(n => n.OpType == "BatchNormalization");
        var s = new Session(g, new SessionOptions { Optimize = false, Threads = 1 });
        var sum = new double[16];
        var sq = new double[16];
        long count = 0;
        foreach (var d in data)
        {
            var v = s.Run(d, [c1])[c1];
            int spatial = v.Shape[2] * v.Shape[3];
            var span = v.AsReadOnlySpan<float>();
            for (int i = 0; i < span.Length; i++) { int c = i / spatial % 16; sum[c] += span[i]; sq[c] += (double)span[i] * span[i]; }
            count += v.Shape[0] * spatial;
        }
        var mean = g.Initializers[bn.Inputs[3]].AsSpan<float>();
        var variance = g.Initializers[bn.Inputs[4]].AsSpan<float>();
        var beta = g.Initializers[bn.Inputs[2]].AsSpan<float>();
        for (int c = 0; c < 16; c++)
        {
            mean[c] = (float)(sum[c] / count);
            variance[c] = (float)(sq[c] / count - mean[c] * mean[c]);
            beta[c] = 0.5f;
        }
        return (g, data);
    }

    /// <summary>Σ_c |mean over data of (y_q − y_f)[c]|: the output shift bias correction removes.</summary>
    private static double MeanShift(Graph.Graph model, Graph.Graph quantized, List<IReadOnlyDictionary<string, Tensor>> data)
    {
        var shift = new double[16];
        long count = 0;
        foreach (var d in data)
        {
            var yf = RunLowBit(model, d);
            var yq = RunLowBit(quantized, d);
            int spatial = yf.Shape[2] * yf.Shape[3];
            var f = yf.AsReadOnlySpan<float>();
            var q = yq.AsReadOnlySpan<float>();
            for (int i = 0; i < f.Length; i++) shift[i / spatial % 16] += q[i] - f[i];
            count += yf.Shape[0] * spatial;
        }
        return shift.Sum(v => Math.Abs(v / count));
    }

    private static QuantizedModel Quantize(Graph.Graph g, List<IReadOnlyDictionary<string, Tensor>> data, BiasCorrectionKind kind) =>
        Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly,
            weights: new WeightQuantConfig(FormatTable.Get("int3"), new WeightGranularity.PerTensor(), QuantScheme.Symmetric, WeightRange.MinMax),
            excludeNodes: ["conv1"], algorithm: new AlgorithmConfig(biasCorrection: kind)), data);

    [Theory]
    [InlineData(BiasCorrectionKind.Empirical)]
    [InlineData(BiasCorrectionKind.Analytic)]
    public void BiasCorrection_RemovesMostOfTheOutputMeanShift(BiasCorrectionKind kind)
    {
        var (g, data) = BnModel();
        double rtn = MeanShift(g, Quantize(g, data, BiasCorrectionKind.None).Graph, data);
        var corrected = Quantize(g, data, kind);
        double bc = MeanShift(g, corrected.Graph, data);
        // Empirical removes the shift up to conv padding effects; analytic assumes Gaussian pre-activations (here a sum
        // of 36 uniform products: close) and ignores padding, so it keeps more.
        Assert.True(bc < (kind == BiasCorrectionKind.Empirical ? 0.2 : 0.5) * rtn, $"{kind}: mean shift {bc:G3} vs round to nearest {rtn:G3}");
        var w = corrected.Manifest.Tensors.Where(t => t.Kind == "weight").ToList();
        Assert.All(w, t => Assert.NotNull(t.Algorithm));
        Assert.Equal(ConfigNames.Name(kind), corrected.Manifest.Config.Algorithm!.BiasCorrection);
    }

    [Fact]
    public void BiasCorrection_WithAlgorithm_ManifestCannotBeReplayed()
    {
        var (g, data) = BnModel();
        var q = Quantize(g, data, BiasCorrectionKind.Empirical);
        var e = Assert.Throws<LowBitException>(() => QuantizedModel.Apply(q.Manifest, g));
        Assert.Contains("does not replay", e.Message);
    }

    [Fact]
    public void Analytic_WithCrossLayerEqualization_IsAUsageError()
    {
        var e = Assert.Throws<LowBitException>(() => new QuantizerConfig(crossLayerEqualization: true, algorithm: new AlgorithmConfig(biasCorrection: BiasCorrectionKind.Analytic)));
        Assert.Equal(ErrorKind.Usage, e.Kind);
    }
}
