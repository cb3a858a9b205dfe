using LowBit.Graph;
using LowBit.Reports;
using LowBit.Tensors;

namespace LowBit.Tests.Reports;

public class QuantFormatTests
{
    private static Graph.Graph WithDq(Tensor codes, Tensor scale, Tensor? zero, params (string, object)[] attrs)
    {
        var g = new Graph.Graph();
        g.Initializers["c"] = codes;
        g.Initializers["s"] = scale;
        var inputs = new List<string> { "c", "s" };
        if (zero is not null)
        {
            g.Initializers["z"] = zero;
            inputs.Add("z");
        }
        var n = g.Add("DequantizeLinear", inputs.ToArray(), ["w"]);
        foreach (var (k, v) in attrs) n.With(k, v);
        return g;
    }

    [Fact]
    public void Of_PerChannelInt8_ReadsAxisScalesAndEnvelope()
    {
        var g = WithDq(Tensor.Zeros(DType.Int8, 3, 4), Tensor.FromArray(new[] { 0.5f, 1f, 2f }, 3), Tensor.Zeros(DType.Int8, 3), ("axis", 0L));
        var f = QuantFormat.Of(g, g.Nodes[0]);
        Assert.Equal("int8", f.Type);
        Assert.Equal(8, f.Bits);
        Assert.Equal("per-channel", f.Granularity);
        Assert.Equal(0, f.Axis);
        Assert.Equal(3, f.ScaleCount);
        Assert.Equal((0.5, 2.0), (f.ScaleMin!.Value, f.ScaleMax!.Value));
        Assert.Equal((-256.0, 254.0), (f.ClipMin!.Value, f.ClipMax!.Value));  // 2·(−128), 2·127
        Assert.Null(f.ZeroPoint);
        Assert.Equal("int8 per-channel(axis 0)", f.ToString());
    }

    [Fact]
    public void Of_BlockSize_IsPerGroupInt4()
    {
        var g = WithDq(Tensor.Zeros(DType.Int4, 4, 64), Tensor.FromArray(new float[8], 4, 2), Tensor.Zeros(DType.Int4, 4, 2), ("axis", 1L), ("block_size", 32L));
        var f = QuantFormat.Of(g, g.Nodes[0]);
        Assert.Equal(("int4", 4, "per-group", 1, 32), (f.Type, f.Bits, f.Granularity, f.Axis!.Value, f.BlockSize!.Value));
    }

    [Fact]
    public void Of_NoZeroPoint_DefaultsToUInt8PerTensor()
    {
        var g = new Graph.Graph();
        g.Initializers["s"] = Tensor.FromArray(new[] { 0.1f }, []);
        g.Add("QuantizeLinear", ["x", "s"], ["q"]);
        var f = QuantFormat.Of(g, g.Nodes[0]);
        Assert.Equal(("uint8", "per-tensor", 0.0), (f.Type, f.Granularity, f.ZeroPoint!.Value));
        Assert.Equal(25.5, f.ClipMax!.Value, 5);
    }
}
