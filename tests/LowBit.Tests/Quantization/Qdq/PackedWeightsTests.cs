using LowBit.Formats;
using LowBit.Nn;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Quantization.Qdq;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>The packed-weight export pass: same outputs as the container export in ONNX Runtime and in LowBit, bit for
/// bit, and a file that follows the bits.</summary>
public class PackedWeightsTests
{
    /// <summary>Conv 16→32 3×3 (4608 weights), Gemm 512→128 (65536), Gemm 128→10 (1280: too small to pay for its unpack
    /// at ≤ 7 bits, kept in its container). Input [N, 16, 4, 4].</summary>
    private static Graph.Graph Model()
    {
        var b = new GraphBuilder("packable", 11);
        string x = b.Input("x", DType.Float32, 16, 4, 4);
        string h = b.Flatten(b.Relu(b.Conv(x, 16, 32, 3, pad: 1, name: "conv"), "relu0"), 1, "flatten");
        h = b.Relu(b.Linear(h, 512, 128, "fc1"), "relu1");
        b.Output(b.Linear(h, 128, 10, "fc2"), "logits", DType.Float32, 10);
        return b.Graph;
    }

    private static Graph.Graph Quantized(string format, QuantScheme scheme, WeightGranularity? granularity = null) =>
        Quantizer.Quantize(Model(), new QuantizerConfig(QuantMode.WeightOnly,
            new WeightQuantConfig(FormatTable.Get(format), granularity ?? new WeightGranularity.PerChannel(), scheme, WeightRange.MinMax),
            weightOnlyKernel: WeightOnlyKernel.DequantizeLinear) { PackWeights = false }).Graph;

    [Fact]
    public void Apply_Int3Blocked_BlockedDequantizeReadsUnpackedCodesExactly()
    {
        var g = Quantized("int3", QuantScheme.Asymmetric, new WeightGranularity.Group(16));
        var containerBytes = OnnxExporter.ToBytes(g);
        Assert.NotEmpty(PackedWeights.Apply(g));
        var dq = g.Nodes.Where(n => n.OpType == "DequantizeLinear").ToList();
        Assert.Contains(dq, n => n.Get<long?>("block_size") == 16 && !g.Initializers.ContainsKey(n.Inputs[0]));
        var x = RandomData(Model(), 1, batch: 2)[0];
        using var ortContainer = OrtRunner.FromBytes(containerBytes, threads: 1);
        using var ortPacked = OrtRunner.FromGraph(g, threads: 1);
        Assert.Equal(ortContainer.Run(x)["logits"].ToFloatArray(), ortPacked.Run(x)["logits"].ToFloatArray());
    }

    [Theory]
    [InlineData("int2", QuantScheme.Symmetric, 2)]
    [InlineData("int3", QuantScheme.Asymmetric, 3)]
    [InlineData("uint2", QuantScheme.Asymmetric, 2)]
    [InlineData("ternary", QuantScheme.Symmetric, 2)]
    [InlineData("int5", QuantScheme.Symmetric, 5)]
    [InlineData("int6", QuantScheme.Asymmetric, 6)]
    [InlineData("uint7", QuantScheme.Asymmetric, 7)]
    public void Apply_SubContainerWeights_SameOutputsExactlyAndSmallerFile(string format, QuantScheme scheme, int bits)
    {
        var g = Quantized(format, scheme);
        var containerBytes = OnnxExporter.ToBytes(g);
        var container = OnnxImporter.Load(containerBytes, null);
        var packed = PackedWeights.Apply(g);
        // fc1 always pays; conv (4608 codes) only when it saves ≥ 2 bits per code (≥ 1152 B ≥ MinSavedBytes); fc2 never.
        int stored = format.Contains('5') || format.Contains('6') || format.Contains('7') ? 8 : 4;
        bool conv = stored - bits >= 2;
        Assert.Equal(conv ? 2 : 1, packed.Count);
        Assert.All(packed, p => Assert.Equal(bits, p.Bits));
        Assert.Equal(conv, packed.Any(p => p.Name.StartsWith("conv", StringComparison.Ordinal)));
        Assert.Contains(packed, p => p.Name.StartsWith("fc1", StringComparison.Ordinal));

        var x = RandomData(Model(), 1, batch: 3)[0];
        using (var ortContainer = OrtRunner.FromBytes(containerBytes, threads: 1))
        using (var ortPacked = OrtRunner.FromGraph(g, threads: 1))
            Assert.Equal(ortContainer.Run(x)["logits"].ToFloatArray(), ortPacked.Run(x)["logits"].ToFloatArray());
        Assert.Equal(RunLowBit(container, x).ToFloatArray(), RunLowBit(g, x).ToFloatArray());

        // Codes: container n·S/8 bytes → n·b/8 (whole groups here); everything else (scales, biases, fc2) is unchanged
        // apart from the unpack nodes, their names and helper constants: measured 0.8–1.25 KB per packed tensor.
        long n = 65536 + (conv ? 4608 : 0), saved = n * (stored - bits) / 8;
        long file = OnnxExporter.ToBytes(g).Length;
        Assert.InRange(containerBytes.Length - file, saved - 1280 * packed.Count, saved);
    }

    [Fact]
    public void Apply_StaticInt6Weights_OrtStillFusesIntegerKernelsAndOutputsMatch()
    {
        // ORT's constant folding (level 1) turns the unpack subgraph into an initializer before its QDQ fusions
        // (level 2) look for a constant DequantizeLinear input, so the packed file gets the same integer kernels.
        var f = Model();
        var weights = new WeightQuantConfig(FormatTable.Get("int6"), new WeightGranularity.PerChannel(), QuantScheme.Symmetric, WeightRange.MinMax);
        var g = Quantizer.Quantize(f, new QuantizerConfig(weights: weights, reduceRange: false) { PackWeights = false }, RandomData(f, 4)).Graph;
        var containerBytes = OnnxExporter.ToBytes(g);
        var before = OrtFusion.OptimizedOps(g);
        Assert.NotEmpty(PackedWeights.Apply(g));
        var after = OrtFusion.OptimizedOps(g);
        foreach (var op in new[] { "QLinearConv", "QGemm", "QLinearMatMul", "DequantizeLinear" })
            Assert.Equal(before.GetValueOrDefault(op), after.GetValueOrDefault(op));
        Assert.True(before.GetValueOrDefault("QLinearConv") + before.GetValueOrDefault("QGemm") > 0, string.Join(", ", before));
        var x = RandomData(f, 1, batch: 2)[0];
        using var ortContainer = OrtRunner.FromBytes(containerBytes, threads: 1);
        using var ortPacked = OrtRunner.FromGraph(g, threads: 1);
        Assert.Equal(ortContainer.Run(x)["logits"].ToFloatArray(), ortPacked.Run(x)["logits"].ToFloatArray());
    }

    [Fact]
    public void Apply_Int2_CodeBytesHalfOfInt4()
    {
        var int4 = Quantized("int4", QuantScheme.Symmetric);
        var int2 = Quantized("int2", QuantScheme.Symmetric);
        Assert.Empty(PackedWeights.Apply(int4));  // full 4-bit codes: nothing to gain
        PackedWeights.Apply(int2);
        // conv + fc1: 70144 codes, 35072 B as int4, 17536 B packed at 2 bits.
        long int4Codes = int4.Initializers.Values.Where(t => t.DType == DType.Int4 && t.Length >= 4608).Sum(QdqNodes.Bytes);
        long int2Codes = int2.Initializers.Where(kv => kv.Key.EndsWith("_packed", StringComparison.Ordinal)).Sum(kv => QdqNodes.Bytes(kv.Value));
        Assert.Equal(35072, int4Codes);
        Assert.Equal(17536, int2Codes);
        // The file: scales, float biases and fc2 (kept as int4) do not shrink.
        Assert.InRange((double)OnnxExporter.ToBytes(int2).Length / OnnxExporter.ToBytes(int4).Length, 0.5, 0.65);
    }

    [Theory]
    [InlineData(new[] { 0, 1 }, false, 1)]
    [InlineData(new[] { -1, 0 }, true, 1)]
    [InlineData(new[] { -1, 1 }, true, 2)]
    [InlineData(new[] { -4, 3 }, true, 3)]
    [InlineData(new[] { -5, 3 }, true, 4)]
    [InlineData(new[] { 0, 127 }, false, 7)]
    [InlineData(new[] { -128, 0 }, true, 8)]
    [InlineData(new[] { 255 }, false, 8)]
    public void Width_SmallestHoldingEveryCode(int[] codes, bool signed, int bits) =>
        Assert.Equal(bits, PackedWeights.Width(codes, signed));
}
