using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization;

/// <summary>
/// Weight scale formats (WeightScales.cs): e8m0 (MX power-of-two scales) and int8 (QLoRA double quantization). Oracles:
/// the float32 bits of each scale, the float32-scale run of the same config, a scalar double-quantization bound, and
/// ONNX Runtime 1.31 on the exported file vs LowBit's Session. ORT tolerance 1e-5 of max |y|: both dequantize with the
/// same float32 scale values and differ only in float summation order (as Fp8QuantizeTests, LookupWeightsTests).
/// </summary>
public class ScaleFormatTests
{
    private static QuantizedModel WeightOnly(Graph.Graph g, string format, ScaleFormat scales, WeightRange range = WeightRange.MinMax) =>
        Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly,
            weights: new WeightQuantConfig(FormatTable.Get(format), new WeightGranularity.Group(32), range: range, scaleFormat: scales),
            matMulNBitsAccuracyLevel: 0), null);  // level 0: MatMulNBits computes in fp32 as LowBit does (4 rounds activations to int8)

    private static Dictionary<string, TensorEntry> WeightEntries(QuantizedModel q) =>
        q.Manifest.Tensors.Where(t => t.Kind == "weight").ToDictionary(t => t.Name);

    private static bool IsPowerOfTwo(float s) => (BitConverter.SingleToInt32Bits(s) & 0x7FFFFF) == 0 && s > 0 && float.IsNormal(s);

    [Fact]
    public void PowerOfTwoAtLeast_RandomScales_ExactPowerNotBelowAndUnderTwice()
    {
        var rng = new Random(3);
        for (int i = 0; i < 10000; i++)
        {
            float s = (float)Math.Exp(rng.NextDouble() * 60 - 30);
            float p = WeightScales.PowerOfTwoAtLeast(s);
            Assert.True(IsPowerOfTwo(p) && p >= s && p < 2 * s, $"{s} -> {p}");
        }
        foreach (float exact in new[] { 1f, 0.5f, 0.125f, 1024f, MathF.Pow(2, -126) })
            Assert.Equal(exact, WeightScales.PowerOfTwoAtLeast(exact));
    }

    [Theory]
    [InlineData("int4")]
    [InlineData("int8")]
    [InlineData("fp4")]
    public void Quantize_E8M0MinMax_ScalesArePowersOfTwoAboveMinMaxAndNoCodeSaturates(string format)
    {
        var g = TransformerBlock();
        var f32 = WeightEntries(WeightOnly(g, format, ScaleFormat.Float32));
        var mx = WeightEntries(WeightOnly(g, format, ScaleFormat.E8M0));
        var grid = FormatTable.Get(format).Grid;
        int checkedWeights = 0;
        foreach (var (name, e) in mx)
        {
            Assert.NotNull(e.Scales);
            var reference = f32[name].Scales!;
            for (int i = 0; i < e.Scales!.Length; i++)
                Assert.True(IsPowerOfTwo(e.Scales[i]) && e.Scales[i] >= reference[i] && e.Scales[i] < 2 * reference[i], $"{name}[{i}]: {e.Scales[i]} vs minmax {reference[i]}");
            if (!g.Initializers.TryGetValue(name, out var w) || e.Axis is not int axis || e.BlockSize is not int block) continue;
            // Element (…, k, …) on the blocked axis uses scale slot (…, k/B, …): check |w/s'| ≤ max|grid| (no saturation).
            var x = w.ToFloatArray();
            int ax = axis < 0 ? axis + w.Shape.Length : axis;
            int inner = 1;
            for (int d = ax + 1; d < w.Shape.Length; d++) inner *= w.Shape[d];
            int k = w.Shape[ax], nb = e.ScaleShape[ax];
            for (int i = 0; i < x.Length; i++)
            {
                int outer = i / (inner * k), kk = i / inner % k, rest = i % inner;
                float s = e.Scales[(outer * nb + kk / block) * inner + rest];
                Assert.True(x[i] / s >= grid[0] && x[i] / s <= grid[^1], $"{name}[{i}] = {x[i]} saturates at scale {s}");
            }
            checkedWeights++;
        }
        Assert.True(checkedWeights >= 2, $"only {checkedWeights} weights checked element-wise");
    }

    [Theory]
    [InlineData("fp4", ScaleFormat.E8M0)]   // MXFP4
    [InlineData("int8", ScaleFormat.E8M0)]  // MXINT8 (power-of-two scale, integer elements)
    [InlineData("int4", ScaleFormat.Int8)]
    [InlineData("nf4", ScaleFormat.Int8)]   // QLoRA: NF4 + double quantization
    public void Quantize_ScaleFormat_OrtMatchesLowBitSession(string format, ScaleFormat scales)
    {
        foreach (var g in new[] { ConvNet(), TransformerBlock() })
        {
            var q = WeightOnly(g, format, scales, WeightRange.Mse);
            Assert.Equal(ConfigNames.Name(scales), q.Manifest.Config.Weights.ScaleFormat);
            foreach (var x in RandomData(g, 2))
            {
                Tensor sim = RunLowBit(q.Graph, x), ort = RunOrt(q.Graph, x);
                float diff = MaxAbsDiff(sim, ort), scale = MaxAbs(sim);
                Assert.True(diff <= 1e-5f * scale, $"{g.Name} {format}: LowBit vs ONNX Runtime differ by {diff} (max |y| {scale})");
            }
        }
    }

    [Fact]
    public void DoubleQuantize_ThreeRuns_WithinHalfStepOfEachRunAndPositive()
    {
        var rng = new Random(5);
        var s = Enumerable.Range(0, 600).Select(_ => (float)Math.Exp(rng.NextDouble() * 6 - 8)).ToArray();
        var dq = WeightScales.DoubleQuantize(s);
        for (int start = 0; start < s.Length; start += 256)
        {
            var run = s.Skip(start).Take(256).ToArray();
            double step = (run.Max() - run.Min()) / 255.0;
            for (int i = 0; i < run.Length; i++)
            {
                float got = dq[start + i];
                Assert.True(got > 0 && Math.Abs(got - run[i]) <= step / 2 + 1e-6 * run[i], $"scale {start + i}: {run[i]} -> {got}, step {step}");
                // On the run's uint8 grid: (s' − min)/step is an integer in [0, 255] (to float32 rounding).
                double code = (got - run.Min()) / step;
                Assert.True(Math.Abs(code - Math.Round(code)) < 1e-3 && code > -1e-3 && code < 255 + 1e-3, $"code {code}");
            }
        }
    }

    [Fact]
    public void Quantize_Int8Scales_AreDoubleQuantizedFloatScalesAndCodesUseThem()
    {
        var g = TransformerBlock();
        var f32 = WeightEntries(WeightOnly(g, "int4", ScaleFormat.Float32));
        var q = WeightOnly(g, "int4", ScaleFormat.Int8);
        foreach (var (name, e) in WeightEntries(q))
            Assert.Equal(WeightScales.DoubleQuantize(f32[name].Scales!), e.Scales!);
        // The codes are chosen for the dequantized scales: re-applying the manifest rebuilds the same scales (hash check).
        var again = QuantizedModel.Apply(q.Manifest, g);
        Assert.Equal("int8", again.Manifest.Config.Weights.ScaleFormat);
    }

    [Fact]
    public void Quantize_RecipeScaleFormat_AppliesToThatNodeOnly()
    {
        var g = Mlp();
        var recipe = QuantRecipe.Parse("""{ "nodes": { "fc2": { "weights": { "format": "int4", "granularity": "per-channel", "scaleFormat": "e8m0" } } } }""");
        var q = Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly,
            weights: new WeightQuantConfig(FormatTable.Get("int4"), new WeightGranularity.PerChannel()), recipe: recipe));
        static bool PowersOfTwo(TensorEntry t) => t.Scales!.All(s => s == WeightScales.PowerOfTwoAtLeast(s));
        var weights = q.Manifest.Tensors.Where(t => t.Kind == "weight").ToDictionary(t => t.Name);
        Assert.True(PowersOfTwo(weights["fc2.weight"]));
        Assert.False(PowersOfTwo(weights["fc1.weight"]));
        Assert.False(PowersOfTwo(weights["fc3.weight"]));
    }

    [Fact]
    public void ManifestConfig_ScaleFormat_RoundTrips()
    {
        var c = new QuantizerConfig(QuantMode.WeightOnly, weights: new WeightQuantConfig(FormatTable.Get("fp4"), new WeightGranularity.Group(32),
            range: WeightRange.AbsMean, scaleFormat: ScaleFormat.E8M0));
        var info = ManifestJson.Describe(c, reduceRange: false);
        Assert.Equal("e8m0", info.Weights.ScaleFormat);
        Assert.Equal("absmean", info.Weights.Range);
        var back = ManifestJson.ToConfig(info).Weights;
        Assert.Equal(ScaleFormat.E8M0, back.ScaleFormat);
        Assert.Equal(WeightRange.AbsMean, back.Range);
    }

    [Fact]
    public void ParseScaleFormat_Unknown_IsUsageErrorListingNames()
    {
        Assert.Equal(ScaleFormat.E8M0, ConfigNames.ParseScaleFormat("E8M0"));
        Assert.Equal(ScaleFormat.Int8, ConfigNames.ParseScaleFormat("int8"));
        var x = Assert.Throws<LowBitException>(() => ConfigNames.ParseScaleFormat("fp16"));
        Assert.Equal(ErrorKind.Usage, x.Kind);
        Assert.Contains("float32, e8m0, int8", x.Message);
    }
}
