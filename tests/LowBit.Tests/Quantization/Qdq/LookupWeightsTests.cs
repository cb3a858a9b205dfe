using LowBit.Formats;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Tensors;
using Xunit.Abstractions;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>
/// Weights in formats without integer storage (fp4, nf4, binary, pot4, apot4) exported as packed codes + lookup table
/// (Qdq/LookupWeights.cs). Oracle: ONNX Runtime 1.31 on the exported file vs LowBit's Session on the same graph, and a
/// scalar reference encoder written here from the grid. Tolerance of the ORT/LowBit comparison: both compute the same
/// float32 weights (table[c]·s is one float32 product in either) and differ only in the summation order of the float
/// ops: 1e-5 of max |y| (weight-only, as the FP8 tests). Static mode adds uint8 activation QuantizeLinear, where a
/// summation-order difference can move a value across a rounding boundary: one activation step, bounded by 2e-2 of max |y|.
/// </summary>
public class LookupWeightsTests(ITestOutputHelper output)
{
    public static TheoryData<string, bool> Cases()
    {
        var d = new TheoryData<string, bool>();
        foreach (var f in new[] { "fp4", "nf4", "binary", "pot4", "apot4" }) { d.Add(f, true); d.Add(f, false); }
        return d;
    }

    private static WeightQuantConfig Weights(string format, bool perChannel, WeightRange? range = null) =>
        new(FormatTable.Get(format), perChannel ? new WeightGranularity.PerChannel() : new WeightGranularity.PerTensor(), range: range);

    private static QuantizedModel WeightOnly(Graph.Graph g, WeightQuantConfig w, AlgorithmConfig? algorithm = null,
        IEnumerable<IReadOnlyDictionary<string, Tensor>>? data = null) =>
        Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly, weights: w, algorithm: algorithm), data);

    private static void AssertOrtMatches(Graph.Graph q, Graph.Graph model, float tolerance)
    {
        foreach (var x in RandomData(model, 2))
        {
            Tensor sim = RunLowBit(q, x), ort = RunOrt(q, x);
            float diff = MaxAbsDiff(sim, ort), scale = MaxAbs(sim);
            Assert.True(diff <= tolerance * scale, $"{model.Name}: LowBit vs ONNX Runtime differ by {diff} (max |y| {scale})");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Quantize_LookupWeights_OrtMatchesLowBitSession(string format, bool perChannel)
    {
        foreach (var g in new[] { ConvNet(), TransformerBlock() })
        {
            var q = WeightOnly(g, Weights(format, perChannel));
            Assert.DoesNotContain(q.Graph.Nodes, n => n.OpType is "DequantizeLinear" or "MatMulNBits");  // MatMulNBits: integer formats only
            Assert.True(Count(q.Graph, "Gather") >= 2, g.Name);
            Assert.Contains(q.Warnings, m => m.Contains(format) && m.Contains("size, not speed"));
            Assert.All(q.Manifest.Tensors.Where(t => t.Kind == "weight"), t =>
            {
                Assert.Equal("lookup", t.Export);
                Assert.Equal(LowBit.Quantization.Qdq.LookupWeights.Bits(FormatTable.Get(format)), t.PackedBits);
            });
            AssertOrtMatches(q.Graph, g, 1e-5f);
        }
    }

    [Theory]
    [InlineData("nf4")]
    [InlineData("binary")]
    [InlineData("apot4")]
    public void Quantize_LookupWeightsStaticUInt8Activations_OrtMatchesLowBitSession(string format)
    {
        var g = ConvNet();
        var config = new QuantizerConfig(QuantMode.Static, weights: Weights(format, true), activations: ActivationQuantConfig.UInt8);
        var q = Quantizer.Quantize(g, config, RandomData(g, 4));
        Assert.True(Count(q.Graph, "QuantizeLinear") >= 3);
        AssertOrtMatches(q.Graph, g, 2e-2f);
    }

    [Theory]
    [InlineData("nf4", 24)]
    [InlineData("fp4", 16)]
    public void Quantize_LookupWeightsPerGroup_OrtMatchesLowBitSession(string format, int size)
    {
        var g = TransformerBlock();
        var q = WeightOnly(g, new WeightQuantConfig(FormatTable.Get(format), new WeightGranularity.Group(size)));
        Assert.Contains(q.Manifest.Tensors, t => t.Kind == "weight" && t.BlockSize == size);
        AssertOrtMatches(q.Graph, g, 1e-5f);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Quantize_LookupWeights_FileValuesAreScaleTimesNearestGridValue(string format, bool perChannel)
    {
        var f = FormatTable.Get(format);
        var g = ConvDense();
        var q = WeightOnly(g, Weights(format, perChannel, WeightRange.MinMax));
        double gmax = Math.Max(Math.Abs(f.Grid[0]), Math.Abs(f.Grid[^1]));
        var table = q.Graph.Initializers[$"lookup_{format}_table"].ToFloatArray();
        Assert.Equal(1 << (int)f.BitsPerWeight, table.Length);
        foreach (var e in q.Manifest.Tensors.Where(t => t.Kind == "weight"))
        {
            int b = e.PackedBits!.Value;
            var w = g.Initializers[e.Name].ToFloatArray();
            var s = e.Scales!;
            int axis = e.Axis is int a ? (a + e.Shape!.Length) % e.Shape.Length : 0;
            int inner = e.Shape!.Skip(axis + 1).Aggregate(1, (x, y) => x * y);
            int Slot(int i) => perChannel ? i / inner % s.Length : 0;
            var absmax = new double[s.Length];
            for (int i = 0; i < w.Length; i++) absmax[Slot(i)] = Math.Max(absmax[Slot(i)], Math.Abs(w[i]));
            for (int k = 0; k < s.Length; k++) Assert.Equal((float)(absmax[k] / gmax), s[k]);  // symmetric absmax/grid-max, z = 0

            var packed = q.Graph.Initializers[e.Name + "_packed"].AsReadOnlySpan<byte>();
            Assert.Equal((w.Length + 7) / 8 * b, packed.Length);
            for (int i = 0; i < w.Length; i++)
            {
                int code = 0;
                for (int k = 0; k < b; k++) code |= ((packed[(i * b + k) >> 3] >> ((i * b + k) & 7)) & 1) << k;
                float t = w[i] / s[Slot(i)];
                Assert.True(ReferenceCode(f, t) == code, $"{e.Name}[{i}]: {w[i]} / {s[Slot(i)]} = {t} stored as code {code}");
                Assert.Equal(f.Decode(code), table[code]);
            }
            var mul = q.Graph.Nodes.Single(n => n.Outputs.Contains(e.Name));
            Assert.Equal("Mul", mul.OpType);
            Assert.Equal("Gather", q.Graph.Nodes.Single(n => n.Outputs.Contains(mul.Inputs[0])).OpType);
        }
        AssertOrtMatches(q.Graph, g, 1e-5f);
    }

    /// <summary>The nearest grid value's code, ties to the even code (to the smaller magnitude if both or neither are
    /// even); −0 patterns are not separate values (the smallest code holding a value is its code).</summary>
    private static int ReferenceCode(INumberFormat f, float t)
    {
        int best = -1;
        double bestD = double.PositiveInfinity;
        float bestValue = 0;
        var seen = new HashSet<float>();
        for (int c = 0; c < 1 << (int)f.BitsPerWeight; c++)
        {
            float v;
            try { v = f.Decode(c) + 0f; } catch (ArgumentOutOfRangeException) { continue; }
            if (!seen.Add(v)) continue;
            double d = Math.Abs((double)t - v);
            bool better;
            if (best < 0 || d < bestD) better = true;
            else if (d > bestD) better = false;
            else
            {
                bool even = (c & 1) == 0, bestEven = (best & 1) == 0;
                better = even != bestEven ? even : Math.Abs(v) < Math.Abs(bestValue);
            }
            if (better) (best, bestD, bestValue) = (c, d, v);
        }
        return best;
    }

    [Theory]
    [InlineData(WeightAlgorithm.Gptq, BiasCorrectionKind.None, "nf4")]
    [InlineData(WeightAlgorithm.Gptq, BiasCorrectionKind.None, "binary")]
    [InlineData(WeightAlgorithm.Gptq, BiasCorrectionKind.None, "pot4")]
    [InlineData(WeightAlgorithm.AdaQuant, BiasCorrectionKind.None, "nf4")]
    [InlineData(WeightAlgorithm.AdaQuant, BiasCorrectionKind.None, "fp4")]
    [InlineData(WeightAlgorithm.Nearest, BiasCorrectionKind.Empirical, "apot4")]
    [InlineData(WeightAlgorithm.AdaRound, BiasCorrectionKind.None, "nf4")]
    [InlineData(WeightAlgorithm.AdaRound, BiasCorrectionKind.None, "pot4")]
    [InlineData(WeightAlgorithm.Brecq, BiasCorrectionKind.None, "fp4")]
    [InlineData(WeightAlgorithm.Brecq, BiasCorrectionKind.None, "apot4")]
    public void Quantize_LookupWeightsWithAlgorithm_RunsAndOrtMatches(WeightAlgorithm algorithm, BiasCorrectionKind bias, string format)
    {
        // These algorithms pick values on the format's grid (ElementGrid brackets non-uniform grids; AdaRound and BRECQ
        // harden to one of the two grid neighbours); the export re-encodes them exactly (WeightAlgorithms.CheckOnGrid
        // would throw otherwise), so the file holds the algorithm's choice.
        var g = Mlp();
        var algo = new AlgorithmConfig(algorithm, iterations: 20, samples: 4, biasCorrection: bias);
        var q = WeightOnly(g, Weights(format, true), algo, RandomData(g, 4));
        Assert.All(q.Manifest.Tensors.Where(t => t.Kind == "weight"), t => Assert.NotNull(t.Algorithm));
        AssertOrtMatches(q.Graph, g, 1e-5f);
    }

    [Theory]
    [InlineData("binary", 1)]
    [InlineData("nf4", 4)]
    [InlineData("fp4", 4)]
    [InlineData("pot3", 3)]
    [InlineData("pot4", 4)]
    [InlineData("apot4", 4)]
    [InlineData("apot5", 5)]
    [InlineData("kmeans2", 2)]
    [InlineData("kmeans3", 3)]
    [InlineData("nupes3", 3)]
    public void Quantize_LookupWeights_FileBytesFollowTheBits(string format, int bits)
    {
        var b = new LowBit.Nn.GraphBuilder("wide", 11);
        string x = b.Input("x", DType.Float32, 256);
        b.Output(b.Dense(b.Relu(b.Dense(x, 256, 256, "fc1", std: 0.1), "relu"), 256, 256, "fc2", std: 0.1), "y", DType.Float32, 256);
        var g = b.Graph;
        long n = 2 * 256 * 256, floatFile = OnnxExporter.ToBytes(g).Length;
        var q = WeightOnly(g, Weights(format, true));
        long file = OnnxExporter.ToBytes(q.Graph).Length;
        // Beyond ⌈n·b/8⌉: float32 biases (2 KB), per-channel scales (2 KB), the table, unpack helpers and names (≈ 1 KB each).
        long codes = (n * bits + 7) / 8, allowance = 2 * 256 * 4 * 2 + 6 * 1024;
        output.WriteLine($"{format}: file {file} B, float {floatFile} B, ratio {file / (double)floatFile:F4}, codes {codes} B");
        Assert.InRange(file, codes, codes + allowance);
        if (format == "binary") Assert.True(file < floatFile / 32 + allowance, $"{file} of {floatFile}");
        AssertOrtMatches(q.Graph, g, 1e-5f);
    }

    [Fact]
    public void QuantizerConfig_LookupWeightsInDynamicModeOrMatMulNBits_UsageError()
    {
        var nf4 = Weights("nf4", true);
        var dynamic = Assert.Throws<LowBitException>(() => new QuantizerConfig(QuantMode.Dynamic, weights: nf4));
        var nbits = Assert.Throws<LowBitException>(() => new QuantizerConfig(QuantMode.WeightOnly, weights: nf4, weightOnlyKernel: WeightOnlyKernel.MatMulNBits));
        foreach (var x in new[] { dynamic, nbits })
        {
            Assert.Equal(ErrorKind.Usage, x.Kind);
            Assert.Contains("nf4", x.Message);
        }
    }

    [Fact]
    public void Load_LookupWeightsManifest_RebuildsTheSameFile()
    {
        // The manifest (export "lookup", packedBits) is read back by the existing loader and re-applied to the float model.
        var g = ConvNet();
        var q = WeightOnly(g, new WeightQuantConfig(FormatTable.Get("nf4"), new WeightGranularity.Group(16)));
        string dir = Directory.CreateTempSubdirectory("lowbit-lookup-").FullName;
        try
        {
            string path = Path.Combine(dir, "m.onnx");
            q.Save(path);
            var reloaded = QuantizedModel.Load(QuantizedModel.ManifestPathFor(path), g);
            Assert.Equal(OnnxExporter.ToBytes(q.Graph), OnnxExporter.ToBytes(reloaded.Graph));
            Assert.All(reloaded.Manifest.Tensors.Where(t => t.Kind == "weight"), t => Assert.Equal((4, "lookup"), (t.PackedBits!.Value, t.Export)));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("nf4")]
    [InlineData("binary")]
    [InlineData("pot4")]
    public void ActivationQuantConfig_LookupFormat_UsageErrorNamingFormatAndWeightsOnly(string format)
    {
        var x = Assert.Throws<LowBitException>(() => new ActivationQuantConfig(FormatTable.Get(format)));
        Assert.Equal(ErrorKind.Usage, x.Kind);
        Assert.Contains($"'{format}'", x.Message);
        Assert.Contains("weights only", x.Message);
        Assert.Contains("uint8", x.Message);
    }

    /// <summary>Conv(3→8, 3×3)-Relu-Flatten-MatMul(288→10)+Add on [N, 3, 8, 8]: no BatchNormalization or Gemm, so the
    /// file's weights are the model's own in their own layout.</summary>
    private static Graph.Graph ConvDense()
    {
        var b = new LowBit.Nn.GraphBuilder("convdense", 5);
        string x = b.Input("x", DType.Float32, 3, 8, 8);
        string h = b.Flatten(b.Relu(b.Conv(x, 3, 8, 3, pad: 0, name: "conv"), "relu"), 1, "flatten");
        b.Output(b.Dense(h, 8 * 6 * 6, 10, "fc", std: 0.1), "logits", DType.Float32, 10);
        return b.Graph;
    }
}
