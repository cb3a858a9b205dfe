using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>Weight-only exports: int8 per channel (DequantizeLinear), int4 blocked (DequantizeLinear at opset 21 for
/// Conv, MatMulNBits for MatMul/Gemm), and their ONNX Runtime numerics.</summary>
public class WeightOnlyRewriterTests
{
    [Fact]
    public void WeightOnly_Int8PerChannelDequantizeKernel_NoQuantizeLinearAndBytesShrink()
    {
        var f = Mlp();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel, weightOnlyKernel: WeightOnlyKernel.DequantizeLinear));
        var g = q.Graph;
        Assert.Equal(0, Count(g, "QuantizeLinear"));
        Assert.Equal(3, Count(g, "DequantizeLinear"));
        Assert.All(g.Nodes.Where(n => n.OpType == "DequantizeLinear"), dq => Assert.Equal(DType.Int8, g.Initializers[dq.Inputs[0]].DType));
        // Weights 4 B → 1 B (6784 weights); float biases and per-channel scale + zero point add 9 B per channel (138):
        // 27688 B → 8026 B.
        long weights = f.Initializers.Where(kv => kv.Key.EndsWith("weight")).Sum(kv => (long)kv.Value.Length);
        Assert.Equal(weights, g.Initializers.Values.Where(t => t.DType == DType.Int8 && t.Rank == 2).Sum(t => (long)t.Length));
        Assert.Equal(8026, Bytes(g));
        Assert.Equal(21, q.Manifest.Export.Opset);
        Assert.StartsWith("kept the model's opset 21", q.Manifest.Export.OpsetReason);
    }

    [Fact]
    public void WeightOnly_Int4Group_MatMulNBitsForGemmBlockedDqForConv()
    {
        var f = ConvNet();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, new WeightQuantConfig(FormatTable.Get("int4"), new WeightGranularity.Group(16))));
        var g = q.Graph;
        var nb = Assert.Single(g.Nodes, n => n.OpType == "MatMulNBits");
        Assert.Equal("com.microsoft", nb.Domain);
        Assert.Equal("fc", nb.Name);
        Assert.Equal(4L, nb.Get<long?>("bits"));
        Assert.Equal(16L, nb.Get<long?>("block_size"));
        Assert.Equal(["fc"], q.Manifest.Export.MatMulNBitsNodes);
        var dq = InputDq(g, "conv2", 1);
        Assert.Equal(DType.Int4, g.Initializers[dq.Inputs[0]].DType);
        Assert.Equal(1L, dq.Get<long?>("axis"));
        Assert.Equal(16L, dq.Get<long?>("block_size"));
        Assert.Equal(21, q.Manifest.Export.Opset);
        Assert.Contains(q.Warnings, w => w.Contains("dequantizes the weights on every run"));
    }

    [Fact]
    public void WeightOnly_Int4Mlp_BytesShrinkAbout7xAndOrtMatchesSimulation()
    {
        var f = Mlp();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, weightOnlyKernel: WeightOnlyKernel.MatMulNBits, matMulNBitsAccuracyLevel: 0));
        Assert.Equal(3, Count(q.Graph, "MatMulNBits", "com.microsoft"));
        Assert.Equal(0, Count(q.Graph, "Gemm"));
        // The weights themselves shrink 8× (two 4-bit codes per byte); with one float32 scale per 32 weights it is
        // 5 bits per weight, and the float biases stay.
        long weights = f.Initializers.Where(kv => kv.Key.EndsWith("weight")).Sum(kv => 4L * kv.Value.Length);
        Assert.Equal(weights, 8 * q.Graph.Nodes.Where(n => n.OpType == "MatMulNBits").Sum(n => (long)q.Graph.Initializers[n.Inputs[1]].Length));
        Assert.InRange((double)Bytes(f) / Bytes(q.Graph), 5.5, 6.4);
        var x = RandomData(f, 1, batch: 16)[0];
        // accuracy_level 0 computes in fp32 like LowBit's reference: only summation order differs.
        var a = RunLowBit(q.Graph, x);
        var b = RunOrt(q.Graph, x);
        Assert.True(MaxAbsDiff(a, b) <= 1e-5f * Math.Max(1, MaxAbs(a)), $"diff {MaxAbsDiff(a, b)}");
    }

    [Fact]
    public void WeightOnly_DequantizeKernel_OrtFusesMatMulNBitsItselfWithinActivationQuantError()
    {
        var f = TransformerBlock();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, weightOnlyKernel: WeightOnlyKernel.DequantizeLinear));
        Assert.Equal(0, Count(q.Graph, "MatMulNBits", "com.microsoft"));
        Assert.Equal(6, Count(q.Graph, "DequantizeLinear"));
        Assert.Equal(6, OrtFusion.OptimizedOps(q.Graph).GetValueOrDefault("MatMulNBits"));
        var x = RandomData(f, 1)[0];
        var a = RunLowBit(q.Graph, x);
        var b = RunOrt(q.Graph, x);
        var fl = RunLowBit(f, x);
        // ONNX Runtime's fused MatMulNBits uses accuracy_level 4 (activations rounded to int8 per block): its deviation
        // from the fp32 simulation stays well under the int4 weight error itself.
        Assert.True(MaxAbsDiff(a, b) < 0.5f * MaxAbsDiff(a, fl), $"ort {MaxAbsDiff(a, b)} vs weight error {MaxAbsDiff(a, fl)}");
    }

    [Fact]
    public void WeightOnly_GemmTransB_TransposedSoOrtCanFuse()
    {
        var f = Mlp();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel, weightOnlyKernel: WeightOnlyKernel.DequantizeLinear));
        var gemm = Node(q.Graph, "fc1");
        Assert.Equal(0L, gemm.Get<long?>("transB"));
        var dq = InputDq(q.Graph, "fc1", 1);
        Assert.Equal([32, 64], q.Graph.Initializers[dq.Inputs[0]].Shape);
        Assert.Equal(1L, dq.Get<long?>("axis"));
        var x = RandomData(f, 1)[0];
        Assert.True(MaxAbsDiff(RunLowBit(q.Graph, x), RunLowBit(f, x)) < 0.05f);
    }

    [Fact]
    public void WeightOnly_Int8PerChannelAuto_MatMulNBitsRepeatingColumnScales()
    {
        var f = Mlp();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel, matMulNBitsAccuracyLevel: 0));
        var g = q.Graph;
        Assert.Equal(3, Count(g, "MatMulNBits", "com.microsoft"));
        var fc2 = Node(g, "fc2");
        Assert.Equal(8L, fc2.Get<long?>("bits"));
        Assert.Equal(64L, fc2.Get<long?>("block_size"));  // K = 64: one block per column holds the per-channel scale
        Assert.Equal(3, fc2.Inputs.Count(i => i.Length > 0) - 1);  // B, scales, bias (symmetric: no zero points)
        Assert.All(q.Manifest.Tensors.Where(t => t.Kind == "weight"), t => Assert.Equal("MatMulNBits", t.Export));
        var x = RandomData(f, 1, batch: 8)[0];
        var a = RunLowBit(g, x);
        Assert.True(MaxAbsDiff(a, RunOrt(g, x)) <= 1e-5f * Math.Max(1, MaxAbs(a)));
        var dq = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel, weightOnlyKernel: WeightOnlyKernel.DequantizeLinear));
        Assert.True(MaxAbsDiff(a, RunLowBit(dq.Graph, x)) <= 1e-5f * Math.Max(1, MaxAbs(a)));  // the same numbers as DQ
    }
}
