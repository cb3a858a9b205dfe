using LowBit.Quantization;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

public class ConcatTests
{
    [Fact]
    public void Quantize_Concat_InputsAndOutputShareOneScaleAndZeroPoint()
    {
        var f = ConvNet();
        var q = Quantizer.Quantize(f, new QuantizerConfig(reduceRange: false), RandomData(f, 4));
        var g = q.Graph;
        var concat = g.Nodes.Single(n => n.OpType == "Concat");
        var inputs = concat.Inputs.Select(i => Producer(g, i)).ToList();
        Assert.All(inputs, dq => Assert.Equal("DequantizeLinear", dq.OpType));
        var q2 = QuantizerOf(g, concat.Outputs[0]);
        var scales = inputs.Select(dq => dq.Inputs[1]).Append(q2.Inputs[1]).Distinct();
        var zeros = inputs.Select(dq => dq.Inputs[2]).Append(q2.Inputs[2]).Distinct();
        Assert.Single(scales);
        Assert.Single(zeros);
        var entries = q.Manifest.Tensors.Where(t => t.Name is "relu3" or "pool" or "concat").ToList();
        Assert.Equal(3, entries.Count);
        Assert.Single(entries.Select(t => t.Group).Distinct());
    }

    [Fact]
    public void Quantize_ExcludedConcat_InputsKeepTheirOwnScales()
    {
        var f = ConvNet();
        var q = Quantizer.Quantize(f, new QuantizerConfig(excludeOpTypes: ["Concat"], reduceRange: false), RandomData(f, 4));
        var concat = q.Graph.Nodes.Single(n => n.OpType == "Concat");
        var scales = concat.Inputs.Select(i => Producer(q.Graph, i).Inputs[1]).Distinct();
        Assert.Equal(2, scales.Count());
    }
}
