using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>DynamicQuantizeLinear against ONNX Runtime: y, y_scale and y_zero_point bit-identical.</summary>
public class DynamicQuantizeLinearTests
{
    private static readonly DType[] Outs = [DType.UInt8, DType.Float32, DType.UInt8];

    [Theory]
    [InlineData(-3f, 5f)]
    [InlineData(0.5f, 7f)]
    [InlineData(-9f, -0.25f)]
    [InlineData(-1f, 1f)]
    public void DynamicQuantizeLinear_RandomRanges_MatchesOrt(float lo, float hi)
    {
        var x = RandomTensors.Floats(new Random(17), lo, hi, 7, 9);
        var y = OrtParity.AssertIdentical("DynamicQuantizeLinear", 11, [Fed("x", x)], Outs);
        // The range always includes 0, so 0 must quantize exactly to the zero point.
        Assert.InRange(y[2].GetDouble(0), 0, 255);
    }

    [Fact]
    public void DynamicQuantizeLinear_AllZero_MatchesOrt()
    {
        var y = OrtParity.AssertIdentical("DynamicQuantizeLinear", 11, [Fed("x", Tensor.Zeros(DType.Float32, 3, 4))], Outs);
        Assert.All(y[0].ToInt64Array(), v => Assert.Equal(y[2].GetInt64(0), v));
    }

    [Fact]
    public void DynamicQuantizeLinear_ZeroPointTie_RoundsHalfToEven()
    {
        // lo = −2.5, hi = 252.5 → scale = 255/255 = 1 exactly and the zero point −lo/scale = 2.5 is a tie → 2.
        var x = RandomTensors.Of(DType.Float32, [4], -2.5, 252.5, 0, 100);
        var y = OrtParity.AssertIdentical("DynamicQuantizeLinear", 11, [Fed("x", x)], Outs);
        Assert.Equal(1f, y[1].GetDouble(0));
        Assert.Equal(2, y[2].GetInt64(0));
    }
}
