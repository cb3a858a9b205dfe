using LowBit.Formats;
using LowBit.Nn;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Quantization;
using LowBit.Quantization.Qdq;
using LowBit.Reports;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>Packing through <see cref="Quantizer.Quantize"/>: on by default for formats narrower than their container,
/// numerically identical to the container export in ONNX Runtime and in LowBit, recorded in the manifest, read back by the
/// reports, and the code bytes follow the bits.</summary>
public class PackedExportTests
{
    /// <summary>conv1 16→32 3×3 (4608 weights), conv2 32→32 3×3 (9216), fc 2048→10 (20480). Input [N, 16, 8, 8].</summary>
    private static Graph.Graph Model()
    {
        var b = new GraphBuilder("packed-export", 17);
        string x = b.Input("x", DType.Float32, 16, 8, 8);
        string h = b.Relu(b.Conv(x, 16, 32, 3, pad: 1, name: "conv1"), "relu1");
        h = b.Flatten(b.Relu(b.Conv(h, 32, 32, 3, pad: 1, name: "conv2"), "relu2"), 1, "flatten");
        b.Output(b.Linear(h, 2048, 10, "fc"), "logits", DType.Float32, 10);
        return b.Graph;
    }

    private static QuantizedModel Quantize(QuantMode mode, string format, bool pack = true)
    {
        var f = Model();
        var weights = new WeightQuantConfig(FormatTable.Get(format), new WeightGranularity.PerChannel(), QuantScheme.Symmetric, WeightRange.MinMax);
        var config = new QuantizerConfig(mode, weights, weightOnlyKernel: WeightOnlyKernel.DequantizeLinear) { PackWeights = pack };
        return Quantizer.Quantize(f, config, mode == QuantMode.Static ? RandomData(f, 4) : null);
    }

    private static long PackedCodeBytes(Graph.Graph g) =>
        g.Initializers.Where(kv => kv.Key.EndsWith("_packed", StringComparison.Ordinal)).Sum(kv => QdqNodes.Bytes(kv.Value));

    [Theory]
    [InlineData(QuantMode.Static, "int2", 2, 3)]
    [InlineData(QuantMode.Static, "int3", 3, 2)]    // conv1 would save 576 B < 1 KB: kept as int4
    [InlineData(QuantMode.WeightOnly, "int2", 2, 3)]
    [InlineData(QuantMode.WeightOnly, "int3", 3, 2)]
    public void Quantize_NarrowWeights_PackedByDefaultAndSameOutputsAsContainers(QuantMode mode, string format, int bits, int tensors)
    {
        var packed = Quantize(mode, format);
        var container = Quantize(mode, format, pack: false);

        var entries = packed.Manifest.Tensors.Where(t => t.Kind == "weight").ToList();
        Assert.Equal(tensors, entries.Count(t => t.PackedBits == bits));
        Assert.All(entries, t => Assert.True(t.PackedBits is null || t.PackedBits == bits));
        Assert.All(container.Manifest.Tensors, t => Assert.Null(t.PackedBits));
        Assert.True(packed.Manifest.Config.PackWeights);
        Assert.False(container.Manifest.Config.PackWeights);
        Assert.Equal(tensors, packed.Graph.Initializers.Keys.Count(k => k.EndsWith("_packed", StringComparison.Ordinal)));

        // Same codes read by the same DequantizeLinear: bit-identical outputs, not merely close, in LowBit and in ONNX
        // Runtime without graph optimizations.
        var x = RandomData(Model(), 1, batch: 3, seed: 11)[0];
        byte[] packedBytes = OnnxExporter.ToBytes(packed.Graph), containerBytes = OnnxExporter.ToBytes(container.Graph);
        Assert.Equal(RunLowBit(container.Graph, x).ToFloatArray(), RunLowBit(packed.Graph, x).ToFloatArray());
        using (var ortPacked = OrtRunner.FromBytes(packedBytes, threads: 1, optimize: false))
        using (var ortContainer = OrtRunner.FromBytes(containerBytes, threads: 1, optimize: false))
            Assert.Equal(ortContainer.Run(x)["logits"].ToFloatArray(), ortPacked.Run(x)["logits"].ToFloatArray());
        // Optimized, ONNX Runtime picks kernels by code type: int8 codes get QLinearConv/QGemm (static) or 8-bit
        // MatMulNBits (weight-only), int4 containers float kernels or 4-bit MatMulNBits. Both dequantize the same
        // weights; the kernels differ in the int8 rounding of activations (≤ half a step of an int8 grid over the
        // activation range, |logits| ≲ 2 here), hence 1e-2.
        using (var ortPacked = OrtRunner.FromBytes(packedBytes, threads: 1))
        using (var ortContainer = OrtRunner.FromBytes(containerBytes, threads: 1))
            TensorAssert.Close(ortContainer.Run(x)["logits"], ortPacked.Run(x)["logits"], 1e-2, 1e-2);

        // The saving is the code bytes: n·4/8 → ⌈n/8⌉·b per packed tensor, less the unpack subgraphs (≈ 1 KB each).
        long n = entries.Where(t => t.PackedBits is not null).Sum(t => t.Shape!.Aggregate(1L, (a, d) => a * d));
        long saved = n * (4 - bits) / 8;
        Assert.Equal(n * bits / 8, PackedCodeBytes(packed.Graph));
        long delta = OnnxExporter.ToBytes(container.Graph).Length - OnnxExporter.ToBytes(packed.Graph).Length;
        Assert.InRange(delta, saved - 1280 * tensors, saved);
    }

    [Fact]
    public void Quantize_Int4AndInt8Weights_StayInTheirOnnxTypes()
    {
        foreach (var (mode, format) in new[] { (QuantMode.WeightOnly, "int4"), (QuantMode.Static, "int8") })
        {
            var q = Quantize(mode, format);
            Assert.Equal(0, PackedCodeBytes(q.Graph));
            Assert.All(q.Manifest.Tensors, t => Assert.Null(t.PackedBits));
            var producers = q.Graph.Producers();
            Assert.All(q.Graph.Nodes.Where(n => n.OpType == "DequantizeLinear"),
                n => Assert.True(q.Graph.Initializers.ContainsKey(n.Inputs[0]) || producers[n.Inputs[0]].OpType == "QuantizeLinear", n.Inputs[0]));
        }
    }

    [Fact]
    public void Quantize_StaticInt2Packed_OrtRunsIntegerKernels()
    {
        // ONNX Runtime folds the unpack into an int8 initializer before its QDQ fusions: the packed int2 weights get
        // QLinearConv/QGemm, where the int4 containers ran DequantizeLinear + float Conv/Gemm (and the warning says so).
        var packed = Quantize(QuantMode.Static, "int2");
        var container = Quantize(QuantMode.Static, "int2", pack: false);
        var ops = OrtFusion.OptimizedOps(packed.Graph);
        Assert.Equal(2, ops.GetValueOrDefault("QLinearConv"));
        Assert.Equal(1, ops.GetValueOrDefault("QGemm"));
        Assert.Equal(0, OrtFusion.OptimizedOps(container.Graph).GetValueOrDefault("QLinearConv"));
        Assert.DoesNotContain(packed.Manifest.Warnings, w => w.Contains("integer kernels take 8-bit", StringComparison.Ordinal));
        Assert.Contains(container.Manifest.Warnings, w => w.Contains("integer kernels take 8-bit", StringComparison.Ordinal));
    }

    [Fact]
    public void Quantize_Int2_CodeBytesHalfOfInt4()
    {
        var int4 = Quantize(QuantMode.WeightOnly, "int4");
        var int2 = Quantize(QuantMode.WeightOnly, "int2");
        // 34304 weights: 17152 B as int4, 8576 B packed at 2 bits.
        long int4Codes = int4.Graph.Initializers.Values.Where(t => t.DType == DType.Int4 && t.Length >= 4608).Sum(QdqNodes.Bytes);
        Assert.Equal(17152, int4Codes);
        Assert.Equal(8576, PackedCodeBytes(int2.Graph));
        // The whole file also carries float scales and biases, names and three unpack subgraphs (≈ 1 KB each).
        double ratio = (double)OnnxExporter.ToBytes(int2.Graph).Length / OnnxExporter.ToBytes(int4.Graph).Length;
        Assert.InRange(ratio, 0.5, 0.75);
    }

    [Fact]
    public void Reports_PackedWeights_ReportTheirStoredWidthAndMatchTheFloatWeights()
    {
        var f = Model();
        var packed = Quantize(QuantMode.Static, "int2");
        var container = Quantize(QuantMode.Static, "int2", pack: false);
        var weights = LayerMatching.Match(f, packed.Graph).Points.Where(p => p.Kind == PointKind.Weight).ToList();
        var reference = LayerMatching.Match(f, container.Graph).Points.Where(p => p.Kind == PointKind.Weight).ToList();
        Assert.Equal(reference.Select(p => p.RefName).Order(), weights.Select(p => p.RefName).Order());
        Assert.Equal(3, weights.Count);
        Assert.All(weights, p => Assert.Equal(("int2", 2), (p.Format!.Type, p.Format.Bits)));
        Assert.All(reference, p => Assert.Equal(("int4", 4), (p.Format!.Type, p.Format.Bits)));
        // Clip range: int2 codes [−2, 1]·s, where the int4 container reports [−8, 7]·s for the same scales.
        foreach (var p in weights)
        {
            var r = reference.Single(c => c.RefName == p.RefName).Format!;
            Assert.Equal(r.ScaleMax!.Value * -2, p.Format!.ClipMin!.Value, 6);
            Assert.Equal(r.ScaleMax!.Value, p.Format.ClipMax!.Value, 6);
        }
    }
}
