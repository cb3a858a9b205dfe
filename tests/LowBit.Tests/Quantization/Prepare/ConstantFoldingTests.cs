using LowBit.Graph;
using LowBit.Quantization;
using LowBit.Quantization.Prepare;
using LowBit.Tensors;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Prepare;

public class ConstantFoldingTests
{
    /// <summary>x [N, 4] · Cast(w16 fp16 [3, 4] → float) reshaped by a Constant shape to [4, 3] → y [N, 3]; then a Dropout.</summary>
    private static Graph.Graph Fp16Weights()
    {
        var g = new Graph.Graph { Name = "fp16", Opsets = new() { [""] = 17 } };
        g.Inputs.Add(new ValueInfo("x", DType.Float32, [Dim.Symbolic("N"), Dim.Known(4)]));
        g.Outputs.Add(new ValueInfo("y", DType.Float32, [Dim.Symbolic("N"), Dim.Known(3)]));
        var w = new Half[12];
        for (int i = 0; i < w.Length; i++) w[i] = (Half)((i - 6) / 8f);
        g.Initializers["w16"] = Tensor.FromArray(w, 3, 4);
        g.Add("Cast", ["w16"], ["w32"], "cast").With("to", (long)DType.Float32);
        g.Add("Constant", [], ["shape"], "shape_const").With("value", Tensor.FromArray(new long[] { 4, 3 }, 2));
        g.Add("Reshape", ["w32", "shape"], ["w"], "reshape");
        g.Add("MatMul", ["x", "w"], ["h"], "mm");
        g.Add("Dropout", ["h"], ["y"], "drop");
        return g;
    }

    [Fact]
    public void Prepare_Fp16WeightsBehindCastAndConstantShape_FoldedToOneFloatInitializer()
    {
        var source = Fp16Weights();
        var (g, report) = GraphPreparation.Run(source);
        Assert.Equal(3, report.ConstantsFolded);
        Assert.Equal(["MatMul", "Dropout"], g.Nodes.Select(n => n.OpType));
        var w = g.Initializers["w"];
        Assert.Equal(DType.Float32, w.DType);
        Assert.Equal([4, 3], w.Shape);
        Assert.Equal(["w"], g.Initializers.Keys);
        Assert.Equal(5, source.Nodes.Count);  // the caller's graph is untouched
        Assert.True(source.Initializers.ContainsKey("w16"));
    }

    [Fact]
    public void Quantize_Fp16Weights_StoredAsInt8()
    {
        var f = Fp16Weights();
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel, weightOnlyKernel: WeightOnlyKernel.DequantizeLinear));
        Assert.Equal(DType.Int8, q.Graph.Initializers["w_quantized"].DType);
        Assert.DoesNotContain(q.Graph.Initializers.Values, t => t.DType == DType.Float16);
        var x = RandomData(f, 1)[0];
        Assert.True(MaxAbsDiff(RunLowBit(f, x), RunLowBit(q.Graph, x)) < 0.01f);
        Assert.Equal(1, Count(q.Graph, "Dropout"));  // it writes a graph output: removing it would rename the output
    }

    [Fact]
    public void Prepare_InferenceDropoutBetweenLayers_Removed()
    {
        var f = LowBit.Nn.Zoo.ModelZoo.Build("fashion-cnn");
        Assert.Contains(f.Nodes, n => n.OpType == "Dropout");
        var (g, report) = GraphPreparation.Run(f);
        Assert.DoesNotContain(g.Nodes, n => n.OpType == "Dropout");
        Assert.Equal(2, report.IdentitiesRemoved);
        Assert.Equal(4, report.BatchNormsFolded);
        Assert.DoesNotContain(g.Nodes, n => n.OpType is "Constant" or "BatchNormalization");
    }

    [Fact]
    public void Prepare_RandomNodeAndGraphOutputs_NotFolded()
    {
        var g = new Graph.Graph { Opsets = new() { [""] = 17 } };
        g.Outputs.Add(new ValueInfo("r", DType.Float32, null));
        g.Add("RandomNormal", [], ["r"], "rand").With("shape", new long[] { 2 });
        var (p, report) = GraphPreparation.Run(g);
        Assert.Equal(0, report.ConstantsFolded);
        Assert.Single(p.Nodes);
    }
}
