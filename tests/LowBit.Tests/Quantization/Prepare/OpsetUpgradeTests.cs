using LowBit.Graph;
using LowBit.Quantization;
using LowBit.Quantization.Prepare;
using LowBit.Runtime;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Prepare;

public class OpsetUpgradeTests
{
    /// <summary>Opset-10 classifier: Conv → Clip(min, max attributes; inputs from opset 11) → Flatten → Gemm → Softmax(axis 1, coerced 2-D).</summary>
    private static Graph.Graph Legacy(long opset = 10)
    {
        var g = new Graph.Graph { Name = "legacy", Opsets = new() { [""] = opset } };
        g.Metadata.IrVersion = 5;
        g.Inputs.Add(new ValueInfo("x", DType.Float32, [Dim.Symbolic("N"), Dim.Known(2), Dim.Known(6), Dim.Known(6)]));
        g.Outputs.Add(new ValueInfo("p", DType.Float32, [Dim.Symbolic("N"), Dim.Known(5)]));
        var rng = new Random(3);
        Tensor R(params int[] s) { var t = Tensor.Zeros(DType.Float32, s); var sp = t.AsSpan<float>(); for (int i = 0; i < sp.Length; i++) sp[i] = (float)(rng.NextDouble() - 0.5); return t; }
        g.Initializers["w"] = R(4, 2, 3, 3);
        g.Initializers["b"] = R(4);
        g.Initializers["fw"] = R(5, 64);
        g.Initializers["fb"] = R(5);
        g.Add("Conv", ["x", "w", "b"], ["c"], "conv").With("kernel_shape", new long[] { 3, 3 });
        if (opset < 11) g.Add("Clip", ["c"], ["r"], "clip").With("min", 0f).With("max", 6f);
        else
        {
            g.Initializers["lo"] = Tensor.FromArray(new[] { 0f }, []);
            g.Initializers["hi"] = Tensor.FromArray(new[] { 6f }, []);
            g.Add("Clip", ["c", "lo", "hi"], ["r"], "clip");
        }
        g.Add("Flatten", ["r"], ["f"], "flatten");
        g.Add("Gemm", ["f", "fw", "fb"], ["l"], "fc").With("transB", 1L);
        g.Add("Softmax", ["l"], ["p"], "softmax");
        return g;
    }

    [Fact]
    public void Quantize_Opset10PerChannel_RaisedTo13WithNotes()
    {
        var f = Legacy();
        var q = Quantizer.Quantize(f, new QuantizerConfig(), RandomData(f, 4));
        Assert.Equal(13, q.Manifest.Export.Opset);
        Assert.Equal("raised from 10 to 13: per-channel scales need opset 13", q.Manifest.Export.OpsetReason);
        Assert.Equal(7, q.Manifest.Export.IrVersion);
        Assert.Contains(q.Manifest.Export.UpgradeNotes, n => n.StartsWith("clip (Clip)"));
        var clip = q.Graph.Nodes.Single(n => n.OpType == "Clip");
        Assert.Equal(3, clip.Inputs.Count);
        Assert.Empty(clip.Attributes);
        var x = RandomData(f, 1)[0];
        var a = RunLowBit(q.Graph, x);
        Assert.True(MaxAbsDiff(a, RunOrt(q.Graph, x)) <= 1e-6f);
        Assert.True(MaxAbsDiff(a, RunLowBit(f, x)) < 0.05f);
    }

    [Fact]
    public void Quantize_Opset10PerTensor_KeepsOpset()
    {
        var f = Legacy();
        var q = Quantizer.Quantize(f, new QuantizerConfig(weights: new WeightQuantConfig(granularity: new WeightGranularity.PerTensor())), RandomData(f, 4));
        Assert.Equal(10, q.Manifest.Export.Opset);
        Assert.StartsWith("kept the model's opset 10", q.Manifest.Export.OpsetReason);
        Assert.Empty(q.Manifest.Export.UpgradeNotes);
        var x = RandomData(f, 1)[0];
        Assert.True(MaxAbsDiff(RunLowBit(q.Graph, x), RunOrt(q.Graph, x)) <= 1e-6f);
    }

    [Fact]
    public void Quantize_RequestedOpsetTooLow_UsageError()
    {
        var f = Legacy(11);
        var e = Assert.Throws<LowBitException>(() => Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic, exportOpset: 10)));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("export opset 10 is too low: DynamicQuantizeLinear needs opset 11", e.Message);
        var low = Assert.Throws<LowBitException>(() => Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic, exportOpset: 10, weights: new WeightQuantConfig(granularity: new WeightGranularity.PerTensor()))));
        Assert.Contains("too low", low.Message);
    }

    [Fact]
    public void Quantize_Int4Weights_RaisedTo21()
    {
        var f = Legacy(13);
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, weightOnlyKernel: WeightOnlyKernel.DequantizeLinear,
            weights: new WeightQuantConfig(LowBit.Formats.FormatTable.Get("int4"), new WeightGranularity.PerChannel())));
        Assert.Equal(21, q.Manifest.Export.Opset);
        Assert.Equal("raised from 13 to 21: int4 codes need opset 21", q.Manifest.Export.OpsetReason);
        var x = RandomData(f, 1)[0];
        // ONNX Runtime fuses DQ→Gemm into MatMulNBits at accuracy level 4 (int8 activations per block): the softmax
        // probabilities move by well under 1 %.
        Assert.True(MaxAbsDiff(RunLowBit(q.Graph, x), RunOrt(q.Graph, x)) <= 0.01f);
    }

    [Fact]
    public void Apply_LegacySoftmaxOnRank3_SameOutputsAfterUpgrade()
    {
        var g = new Graph.Graph { Opsets = new() { [""] = 11 } };
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 2, 3, 4));
        g.Outputs.Add(ValueInfo.Of("y", DType.Float32, 2, 3, 4));
        g.Add("Softmax", ["x"], ["y"], "sm");  // opset 11: normalizes over the 12 values of each batch row
        var x = RandomData(g, 1)[0];
        var before = new Session(g).Run(x)["y"];
        var up = GraphCopy.Of(g);
        var notes = OpsetUpgrade.Apply(up, 13);
        Assert.Single(notes);
        Assert.Equal(["Shape", "Flatten", "Softmax", "Reshape"], up.Nodes.Select(n => n.OpType));
        var after = new Session(up).Run(x)["y"];
        Assert.Equal(0, MaxAbsDiff(before, after));
        Assert.Equal(11, g.DefaultOpset);
    }

    [Fact]
    public void Apply_OpWithoutConverter_NamesNodeAndOp()
    {
        var g = new Graph.Graph { Opsets = new() { [""] = 9 } };
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 1, 1, 2, 2));
        g.Outputs.Add(ValueInfo.Of("y", DType.Float32, 1, 1, 4, 4));
        g.Initializers["s"] = Tensor.FromArray(new[] { 1f, 1f, 2f, 2f }, 4);
        g.Add("Upsample", ["x", "s"], ["y"], "up");
        var e = Assert.Throws<LowBitException>(() => OpsetUpgrade.Apply(g, 13));
        Assert.Contains("cannot raise the model from opset 9 to 13: node up (Upsample) changed in between", e.Message);
    }
}
