using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>
/// Weights in learned k-means codebooks (kmeans2..8) exported as packed indices + one table per tensor. Oracles: ONNX
/// Runtime on the exported file vs LowBit's Session (1e-5 of max |y|, as for the fixed lookup formats), and the stored
/// codes decoded here from the packed bytes against the nearest manifest level computed here.
/// </summary>
public class CodebookExportTests
{
    private static QuantizedModel WeightOnly(Graph.Graph g, string format, WeightGranularity granularity, AlgorithmConfig? algorithm = null,
        IEnumerable<IReadOnlyDictionary<string, Tensor>>? data = null) =>
        Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly, weights: new WeightQuantConfig(FormatTable.Get(format), granularity),
            algorithm: algorithm), data);

    private static void AssertOrtMatches(Graph.Graph q, Graph.Graph model)
    {
        foreach (var x in RandomData(model, 2))
        {
            Tensor sim = RunLowBit(q, x), ort = RunOrt(q, x);
            Assert.True(MaxAbsDiff(sim, ort) <= 1e-5f * MaxAbs(sim), $"{model.Name}: LowBit vs ONNX Runtime differ by {MaxAbsDiff(sim, ort)}");
        }
    }

    /// <summary>The weight as the quantizer stores it: a Gemm's transB = 1 weight [N, K] is prepared as [K, N].</summary>
    private static float[] PreparedWeight(Graph.Graph g, string name, Tensor t)
    {
        var w = t.ToFloatArray();
        var reader = g.Nodes.First(n => n.Inputs.Contains(name));
        if (reader.OpType != "Gemm" || reader.Get<long>("transB") != 1) return w;
        int rows = t.Shape[0], cols = t.Shape[1];
        var r = new float[w.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) r[j * rows + i] = w[i * cols + j];
        return r;
    }

    /// <summary>Row-major index into the manifest's scales of weight element <paramref name="i"/>: per tensor 0, per
    /// channel the coordinate on the axis, per group the element's coordinates with the axis one divided by the block.</summary>
    private static int Slot(LowBit.Quantization.TensorEntry e, int i)
    {
        var shape = e.Shape!;
        if (e.Axis is not int a) return 0;
        a = (a + shape.Length) % shape.Length;
        var coords = new int[shape.Length];
        for (int d = shape.Length - 1, r = i; d >= 0; d--) { coords[d] = r % shape[d]; r /= shape[d]; }
        if (e.BlockSize is not int block) return coords[a];
        coords[a] /= block;
        int slot = 0;
        for (int d = 0; d < shape.Length; d++) slot = slot * e.ScaleShape[d] + coords[d];
        return slot;
    }

    public static TheoryData<string, string> Cases() => new()
    {
        { "kmeans2", "per-channel" }, { "kmeans3", "per-tensor" }, { "kmeans4", "per-channel" }, { "kmeans4", "group:16" }, { "kmeans8", "per-channel" },
        { "nupes4", "per-channel" }, { "nupes3", "group:16" },
    };

    [Theory, MemberData(nameof(Cases))]
    public void Quantize_Codebook_StoredCodesAreNearestLevelAndOrtMatches(string format, string granularity)
    {
        int checkedWeights = 0;
        foreach (var g in new[] { ConvNet(), TransformerBlock(), Mlp() })
        {
            var q = WeightOnly(g, format, WeightGranularity.Parse(granularity));
            int bits = ((CodebookFormat)FormatTable.Get(format)).Bits;
            var weights = q.Manifest.Tensors.Where(t => t.Kind == "weight").ToList();
            Assert.NotEmpty(weights);
            var tables = new HashSet<string>();
            foreach (var e in weights)
            {
                Assert.Equal("lookup", e.Export);
                Assert.Equal(bits, e.PackedBits);
                var levels = e.Codebook!;
                Assert.Contains(0f, levels);
                Assert.InRange(levels.Length, 2, 1 << bits);
                var gather = q.Graph.Nodes.Single(n => n.OpType == "Gather" && n.Outputs[0].StartsWith(e.Name + "_lookup_value", StringComparison.Ordinal));
                var table = q.Graph.Initializers[gather.Inputs[0]].ToFloatArray();
                tables.Add(gather.Inputs[0]);
                Assert.Equal(1 << bits, table.Length);
                Assert.Equal(levels, table.Take(levels.Length));
                // Codes from the packed bytes (LSB-first bit stream) against the nearest level of w / s (ConvNet's weights
                // are BatchNorm-folded copies, not in the float graph: checked through ONNX Runtime only).
                if (!g.Initializers.TryGetValue(e.Name, out var wt)) continue;
                checkedWeights++;
                var w = PreparedWeight(g, e.Name, wt);
                // Absmax scales per slot (the codebook ignores the ≤ 4-bit mse default: its levels adapt instead).
                var absmax = new float[e.Scales!.Length];
                for (int i = 0; i < w.Length; i++) absmax[Slot(e, i)] = Math.Max(absmax[Slot(e, i)], Math.Abs(w[i]));
                Assert.Equal(absmax, e.Scales);
                var packed = q.Graph.Initializers[e.Name + "_packed"].AsReadOnlySpan<byte>();
                for (int i = 0; i < w.Length; i++)
                {
                    int code = 0;
                    for (int k = 0; k < bits; k++) code |= ((packed[(i * bits + k) >> 3] >> ((i * bits + k) & 7)) & 1) << k;
                    Assert.InRange(code, 0, levels.Length - 1);
                    float t = w[i] / e.Scales![Slot(e, i)];
                    double best = levels.Min(l => Math.Abs((double)t - l));
                    Assert.True(Math.Abs((double)t - levels[code]) <= best + 1e-5, $"{e.Name}[{i}]: t = {t} stored as level {levels[code]}, nearest is {best} away");
                }
            }
            Assert.Equal(weights.Count, tables.Count);  // one table per tensor
            AssertOrtMatches(q.Graph, g);
        }
        Assert.True(checkedWeights >= 4, $"{checkedWeights} weights checked code by code");
    }

    [Fact]
    public void Load_Manifest_RebuildsTheSameCodebooks()
    {
        var g = ConvNet();
        var q = WeightOnly(g, "kmeans3", new WeightGranularity.PerChannel());
        var reloaded = QuantizedModel.Apply(ManifestJson.Read(ManifestJson.Write(q.Manifest), "test"), g);
        var x = RandomData(g, 1)[0];
        Assert.Equal(0f, MaxAbsDiff(RunLowBit(q.Graph, x), RunLowBit(reloaded.Graph, x)));
        Assert.Equal(q.Manifest.Tensors.Select(t => t.ParamsSha256), reloaded.Manifest.Tensors.Select(t => t.ParamsSha256));
    }

    [Fact]
    public void Load_ManifestWithEditedCodebook_HashMismatchNamesTheTensor()
    {
        var g = ConvNet();
        var q = WeightOnly(g, "kmeans3", new WeightGranularity.PerChannel());
        var entry = q.Manifest.Tensors.First(t => t.Kind == "weight");
        var edited = entry with { Codebook = entry.Codebook!.Select(l => l == 0 ? 0 : l * 0.9f).ToArray() };
        var m = ManifestJson.Read(ManifestJson.Write(q.Manifest), "test");
        m = m with { Tensors = m.Tensors.Select(t => t.Name == entry.Name && t.Kind == "weight" ? edited : t).ToList() };
        var x = Assert.Throws<LowBitException>(() => QuantizedModel.Apply(m, g));
        Assert.Contains(entry.Name, x.Message);
    }

    [Fact]
    public void Quantize_CodebookWithGptq_HessianWeightedCodebookInFileAndOrtMatches()
    {
        var g = Mlp();
        var data = RandomData(g, 4);
        var rtn = WeightOnly(g, "kmeans3", new WeightGranularity.PerChannel());
        var q = WeightOnly(g, "kmeans3", new WeightGranularity.PerChannel(), new AlgorithmConfig(WeightAlgorithm.Gptq, samples: 4), data);
        var weights = q.Manifest.Tensors.Where(t => t.Kind == "weight").ToList();
        Assert.All(weights, t => Assert.Contains("Hessian-weighted codebook", t.Algorithm!.Summary));
        // Refitted with the layer's Hessian diagonal: different levels from the data-free fit, and those are the file's.
        var before = rtn.Manifest.Tensors.Where(t => t.Kind == "weight").ToDictionary(t => t.Name, t => t.Codebook!);
        Assert.Contains(weights, t => !t.Codebook!.SequenceEqual(before[t.Name]));
        foreach (var t in weights)
        {
            var gather = q.Graph.Nodes.Single(n => n.OpType == "Gather" && n.Outputs[0].StartsWith(t.Name + "_lookup_value", StringComparison.Ordinal));
            Assert.Equal(t.Codebook!, q.Graph.Initializers[gather.Inputs[0]].ToFloatArray().Take(t.Codebook!.Length));
        }
        AssertOrtMatches(q.Graph, g);
    }

    [Theory]
    [InlineData(WeightAlgorithm.AdaRound, "kmeans3")]
    [InlineData(WeightAlgorithm.Brecq, "nupes4")]
    public void Quantize_CodebookWithSoftRounding_RunsAndOrtMatches(WeightAlgorithm algorithm, string format)
    {
        var g = Mlp();
        var q = WeightOnly(g, format, new WeightGranularity.PerChannel(), new AlgorithmConfig(algorithm, iterations: 20, samples: 4), RandomData(g, 4));
        Assert.All(q.Manifest.Tensors.Where(t => t.Kind == "weight"), t => Assert.NotNull(t.Algorithm));
        AssertOrtMatches(q.Graph, g);
    }

    [Fact]
    public void Quantize_CodebookRefit_DiagonalCaptureMatchesFullHessianDiagonal()
    {
        // AdaRound captures only diag H for the refit, GPTQ the full H (the refit reads its diagonal). The first layer sees
        // the model input in both runs, so its refitted codebook must agree (up to the float32 Gram's rounding).
        var g = Mlp();
        var data = RandomData(g, 4);
        QuantManifest Run(WeightAlgorithm a) => WeightOnly(g, "kmeans3", new WeightGranularity.PerChannel(),
            new AlgorithmConfig(a, iterations: 5, samples: 4), data).Manifest;
        var viaDiagonal = Run(WeightAlgorithm.AdaRound).Tensors.First(t => t.Kind == "weight");
        var viaHessian = Run(WeightAlgorithm.Gptq).Tensors.First(t => t.Kind == "weight");
        Assert.Equal(viaHessian.Name, viaDiagonal.Name);
        Assert.Contains("Hessian-weighted codebook", viaDiagonal.Algorithm!.Summary);
        var rtn = WeightOnly(g, "kmeans3", new WeightGranularity.PerChannel()).Manifest.Tensors.First(t => t.Kind == "weight");
        Assert.False(rtn.Codebook!.SequenceEqual(viaHessian.Codebook!));
        Assert.Equal(viaHessian.Codebook!.Length, viaDiagonal.Codebook!.Length);
        for (int i = 0; i < viaHessian.Codebook.Length; i++) Assert.Equal(viaHessian.Codebook[i], viaDiagonal.Codebook[i], 1e-4f);
    }

    [Fact]
    public void QuantizerConfig_CodebookActivations_UsageError()
    {
        var x = Assert.Throws<LowBitException>(() => new QuantizerConfig(QuantMode.Static,
            activations: new ActivationQuantConfig(FormatTable.Get("kmeans4"), QuantScheme.Symmetric)));
        Assert.Equal(ErrorKind.Usage, x.Kind);
        Assert.Contains("kmeans4", x.Message);
    }
}
