using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization;

/// <summary>
/// FP8 (E4M3FN, E5M2) weights end to end: the exported file (float8 initializers + DequantizeLinear, opset ≥ 19) loads in
/// ONNX Runtime 1.31, which runs it as dequantize-then-float, and gives LowBit's simulation (the same graph in LowBit's
/// Session). Static FP8 (float8 Q/DQ on activations) is refused with a usage error, because ONNX Runtime's CPU optimizer
/// fuses it into QLinearConv/QGemm, which take no float8 (see QuantizerConfig.CheckStaticFp8).
/// Tolerance: both dequantize the same codes exactly (float8 → float32 is exact, one rounding in ·s) and compute the
/// float ops in float32 with different summation orders: 1e-5 of the output's max |y| covers that (measured ≤ 2e-7).
/// </summary>
public class Fp8QuantizeTests
{
    public static TheoryData<string, bool> Cases() => new()
    {
        { "fp8-e4m3", true },
        { "fp8-e4m3", false },
        { "fp8-e5m2", true },
        { "fp8-e5m2", false },
    };

    private static QuantizedModel Quantize(Graph.Graph g, string weights, bool perChannel)
    {
        var w = new WeightQuantConfig(FormatTable.Get(weights), perChannel ? new WeightGranularity.PerChannel() : new WeightGranularity.PerTensor());
        return Quantizer.Quantize(g, new QuantizerConfig(QuantMode.WeightOnly, weights: w), null);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Quantize_Fp8Weights_OrtMatchesLowBitSimulation(string weights, bool perChannel)
    {
        foreach (var g in new[] { ConvNet(), ConvGemm(), TransformerBlock() })
        {
            var q = Quantize(g, weights, perChannel);
            Assert.True(q.Graph.DefaultOpset >= 19, $"{g.Name}: opset {q.Graph.DefaultOpset}");
            Assert.Contains(q.Warnings, m => m.Contains("dequantize-then-float in ONNX Runtime (size, not speed)"));
            var type = FormatTable.Get(weights).OnnxType!.Value;
            Assert.True(q.Graph.Nodes.Count(n => n.OpType == "DequantizeLinear" && q.Graph.Initializers[n.Inputs[0]].DType == type) >= 2, g.Name);
            foreach (var x in RandomData(g, 2))
            {
                var sim = RunLowBit(q.Graph, x);
                var ort = RunOrt(q.Graph, x);
                float diff = MaxAbsDiff(sim, ort), scale = MaxAbs(sim);
                Assert.True(diff <= 1e-5f * scale, $"{g.Name}: LowBit vs ONNX Runtime differ by {diff} (max |y| {scale})");
            }
        }
    }

    [Theory]
    [InlineData("fp8-e4m3")]
    [InlineData("fp8-e5m2")]
    public void QuantizerConfig_StaticFp8_IsUsageErrorNamingOrtAndWeightOnly(string format)
    {
        var f = FormatTable.Get(format);
        foreach (var make in new Func<QuantizerConfig>[]
        {
            () => new QuantizerConfig(weights: new WeightQuantConfig(f)),
            () => new QuantizerConfig(activations: new ActivationQuantConfig(f)),
        })
        {
            var x = Assert.Throws<LowBitException>(make);
            Assert.Equal(ErrorKind.Usage, x.Kind);
            Assert.Contains("QLinearConv", x.Message);
            Assert.Contains("weight-only", x.Message);
        }
    }

    [Theory]
    [InlineData("fp8-e4m3", true)]
    [InlineData("fp8-e4m3", false)]
    [InlineData("fp8-e5m2", true)]
    public void Quantize_Fp8Weights_CodesAreSaturatedFloat8OfWeightOverScale(string format, bool perChannel)
    {
        var g = ConvGemm();
        var f = FormatTable.Get(format);
        var type = f.OnnxType!.Value;
        var q = Quantize(g, format, perChannel);
        var entries = q.Manifest.Tensors.Where(t => t.Kind == "weight").ToList();
        Assert.Equal(2, entries.Count);
        float gridMax = f.Grid[^1];
        foreach (var e in entries)
        {
            var codes = q.Graph.Initializers[e.Name + "_quantized"];
            Assert.Equal(type, codes.DType);
            var scales = e.Scales!;
            var dq = q.Graph.Nodes.Single(n => n.OpType == "DequantizeLinear" && n.Inputs[0] == e.Name + "_quantized");
            int axis = perChannel ? (int)(dq.Get<long?>("axis") ?? 1) : 0;
            Assert.Equal(perChannel ? e.Shape![axis] : 1, scales.Length);
            Assert.Equal(codes.Length, codes.AsReadOnlySpan<byte>().Length);  // one byte per element
            var w = FileLayout(g.Initializers[e.Name], e.Shape!);
            var bytes = codes.AsReadOnlySpan<byte>();
            int inner = e.Shape!.Skip(axis + 1).Aggregate(1, (a, d) => a * d);
            int Slot(int i) => perChannel ? i / inner % scales.Length : 0;
            // The range max |w| maps to the grid's largest value (448 or 57344): one code of each slot is ±gridMax.
            var top = new float[scales.Length];
            for (int i = 0; i < w.Length; i++) top[Slot(i)] = Math.Max(top[Slot(i)], Math.Abs(Float8.ToFloat(type, bytes[i])));
            Assert.All(top, t => Assert.Equal(gridMax, t));
            for (int i = 0; i < w.Length; i++)
                Assert.True(Float8.FromFloat(type, w[i] / scales[Slot(i)], saturate: true) == bytes[i], $"{e.Name}[{i}]: {w[i]} / {scales[Slot(i)]} → {Float8.ToFloat(type, bytes[i])}");
        }
    }

    /// <summary>The model's weight in the file's layout: weight-only export stores a transB = 1 Gemm weight [N, K]
    /// transposed to [K, N] (Prepare/GemmTransposeB).</summary>
    private static float[] FileLayout(Tensor w, int[] shape)
    {
        var v = w.ToFloatArray();
        if (w.Shape.SequenceEqual(shape)) return v;
        Assert.True(w.Rank == 2 && w.Shape[0] == shape[1] && w.Shape[1] == shape[0], $"{string.Join("×", w.Shape)} vs {string.Join("×", shape)}");
        var t = new float[v.Length];
        for (int i = 0; i < w.Shape[0]; i++)
            for (int j = 0; j < w.Shape[1]; j++) t[j * w.Shape[0] + i] = v[i * w.Shape[1] + j];
        return t;
    }

    /// <summary>Conv(3→8, 3×3)-Relu-Flatten-Gemm(8·6·6→10) on [N, 3, 8, 8]: no BatchNormalization, so the file's weights
    /// are the model's own.</summary>
    private static Graph.Graph ConvGemm(int seed = 5)
    {
        var b = new LowBit.Nn.GraphBuilder("convgemm", seed);
        string x = b.Input("x", DType.Float32, 3, 8, 8);
        string h = b.Flatten(b.Relu(b.Conv(x, 3, 8, 3, pad: 0, name: "conv"), "relu"), 1, "flatten");
        b.Output(b.Linear(h, 8 * 6 * 6, 10, "fc"), "logits", DType.Float32, 10);
        return b.Graph;
    }

    [Fact]
    public void Quantize_Fp8Weights_FileWeightsOneBytePerElement()
    {
        var g = ConvGemm();
        var q = Quantize(g, "fp8-e4m3", true);
        // Weight codes take one byte each; each per-channel slot adds a one-byte float8 zero point (0).
        long weights = g.Initializers.Values.Where(t => t.Rank >= 2).Sum(t => (long)t.Length);
        long channels = g.Initializers.Values.Where(t => t.Rank >= 2).Sum(t => (long)t.Shape[0]);
        var stats = q.Graph.ParameterStats().BytesByType;
        Assert.Equal(weights + channels, stats.TryGetValue(DType.Float8E4M3FN, out var b) ? b : 0);
        Assert.True(QuantTestModels.Bytes(q.Graph) < QuantTestModels.Bytes(g) / 3, $"{QuantTestModels.Bytes(q.Graph)} of {QuantTestModels.Bytes(g)} bytes");
    }

    [Fact]
    public void ActivationQuantConfig_Fp8Asymmetric_IsUsageError()
    {
        var x = Assert.Throws<LowBitException>(() => new ActivationQuantConfig(FormatTable.Get("fp8-e4m3"), QuantScheme.Asymmetric));
        Assert.Equal(ErrorKind.Usage, x.Kind);
        Assert.Contains("symmetric", x.Message);
        Assert.Equal(QuantScheme.Symmetric, new ActivationQuantConfig(FormatTable.Get("fp8-e5m2")).Scheme);
        Assert.Equal(QuantScheme.Asymmetric, new ActivationQuantConfig(FormatTable.Get("uint8")).Scheme);
    }

    [Theory]
    [InlineData("nf4")]
    [InlineData("fp4")]
    public void ActivationQuantConfig_LookupFormat_UsageErrorListsActivationFormatsIncludingFp8(string name)
    {
        // fp4/nf4 are weight formats now (packed codes + lookup table); as activations they are refused, naming the
        // activation formats, which include FP8 but not the lookup formats.
        var x = Assert.Throws<LowBitException>(() => new ActivationQuantConfig(FormatTable.Get(name)));
        Assert.Equal(ErrorKind.Usage, x.Kind);
        Assert.Contains(name, x.Message);
        Assert.Contains("weights only", x.Message);
        Assert.Contains("fp8-e4m3", x.Message);
        Assert.Contains("int8", x.Message);
        Assert.DoesNotContain("nf4,", x.Message);
    }

    [Fact]
    public void WeightQuantConfig_Fp8Asymmetric_IsUsageError()
    {
        var x = Assert.Throws<LowBitException>(() => new WeightQuantConfig(FormatTable.Get("fp8-e5m2"), scheme: QuantScheme.Asymmetric));
        Assert.Contains("symmetric", x.Message);
    }
}
