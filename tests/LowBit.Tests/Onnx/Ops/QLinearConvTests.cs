using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>QLinearConv and ConvInteger against ONNX Runtime: integer outputs must be identical.</summary>
public class QLinearConvTests
{
    /// <summary>Runs QLinearConv on random data; weights/scales/zero points are initializers as in real models.</summary>
    private static Tensor[] QConv(int seed, DType xType, DType wType, int[] xShape, int[] wShape, bool perChannel, bool bias,
        float xScale, float yScale, params (string, object)[] attrs)
    {
        var r = new Random(seed);
        var (xmin, xmax) = QuantizeLinearTests.QuantRange(xType);
        var (wmin, wmax) = OrtU8S8.WeightRange(xType, wType);
        int m = wShape[0];
        var x = RandomTensors.Ints(r, xType, xmin, xmax, xShape);
        var w = RandomTensors.Ints(r, wType, wmin, wmax, wShape);
        var ws = perChannel ? RandomTensors.Floats(r, 0.002f, 0.02f, m) : Tensor.Scalar(0.01f);
        // ONNX Runtime requires one weight zero point for all channels (a per-channel tensor of equal values is allowed).
        int wzpValue = wType == DType.UInt8 ? 131 : 0;
        var wzp = perChannel ? RandomTensors.Of(wType, [m], Enumerable.Repeat((double)wzpValue, m).ToArray()) : RandomTensors.Scalar(wType, wzpValue);
        var xzp = RandomTensors.Scalar(xType, xType == DType.UInt8 ? 117 : -9);
        var yzp = RandomTensors.Scalar(xType, xType == DType.UInt8 ? 128 : 3);
        NodeInput? b = bias ? Const("B", RandomTensors.Ints(r, DType.Int32, -5000, 5000, m)) : Omitted;
        return OrtParity.AssertIdentical("QLinearConv", 10,
            [Fed("x", x), Const("xs", Tensor.Scalar(xScale)), Const("xzp", xzp), Const("w", w), Const("ws", ws), Const("wzp", wzp),
             Const("ys", Tensor.Scalar(yScale)), Const("yzp", yzp), b], [xType], attrs: attrs);
    }

    [Fact]
    public void QLinearConv_PerChannelGroupsPadsStridesDilations_MatchesOrt() =>
        QConv(1, DType.UInt8, DType.Int8, [2, 4, 11, 9], [6, 2, 3, 3], perChannel: true, bias: true, 0.05f, 0.4f,
            ("group", 2L), ("pads", new long[] { 1, 0, 2, 1 }), ("strides", new long[] { 2, 1 }), ("dilations", new long[] { 1, 2 }));

    [Fact]
    public void QLinearConv_Depthwise_MatchesOrt() =>
        QConv(2, DType.UInt8, DType.Int8, [1, 8, 10, 10], [8, 1, 3, 3], perChannel: true, bias: true, 0.02f, 0.05f,
            ("group", 8L), ("pads", new long[] { 1, 1, 1, 1 }));

    [Theory]
    [InlineData("SAME_UPPER")]
    [InlineData("SAME_LOWER")]
    [InlineData("VALID")]
    public void QLinearConv_AutoPad_MatchesOrt(string autoPad) =>
        QConv(3, DType.UInt8, DType.UInt8, [1, 3, 8, 7], [4, 3, 4, 3], perChannel: false, bias: false, 0.03f, 0.5f,
            ("auto_pad", autoPad), ("strides", new long[] { 2, 2 }));

    [Fact]
    public void QLinearConv_Int8Activations_MatchesOrt() =>
        QConv(4, DType.Int8, DType.Int8, [1, 5, 7, 7], [3, 5, 3, 3], perChannel: true, bias: true, 0.1f, 0.8f, ("pads", new long[] { 1, 1, 1, 1 }));

    [Fact]
    public void QLinearConv_Conv1D_MatchesOrt() =>
        QConv(5, DType.UInt8, DType.Int8, [2, 3, 20], [4, 3, 5], perChannel: true, bias: true, 0.05f, 0.3f,
            ("pads", new long[] { 2, 1 }), ("strides", new long[] { 3 }));

    [Fact]
    public void QLinearConv_Conv3D_MatchesOrt() =>
        QConv(6, DType.UInt8, DType.Int8, [1, 2, 5, 6, 4], [3, 2, 2, 3, 2], perChannel: false, bias: true, 0.05f, 0.3f,
            ("pads", new long[] { 1, 0, 1, 0, 1, 0 }));

    [Fact]
    public void QLinearConv_SmallOutputScale_SaturatesLikeOrt()
    {
        var y = QConv(7, DType.UInt8, DType.Int8, [1, 4, 6, 6], [4, 4, 3, 3], perChannel: false, bias: false, 0.5f, 0.01f);
        var v = y[0].ToInt64Array();
        Assert.Contains(0L, v);
        Assert.Contains(255L, v);
    }

    [Fact]
    public void QLinearConv_HalfMultiplier_TiesRoundToEvenLikeOrt()
    {
        // x_scale·w_scale/y_scale = 0.5·1/1: every odd accumulator lands on a .5 tie.
        var x = RandomTensors.Ints(new Random(8), DType.UInt8, 0, 20, 1, 1, 5, 5);
        var y = OrtParity.AssertIdentical("QLinearConv", 10,
            [Fed("x", x), Const("xs", Tensor.Scalar(0.5f)), Const("xzp", RandomTensors.Scalar(DType.UInt8, 0)),
             Const("w", RandomTensors.Of(DType.Int8, [1, 1, 1, 2], 1, 0)), Const("ws", Tensor.Scalar(1f)), Const("wzp", RandomTensors.Scalar(DType.Int8, 0)),
             Const("ys", Tensor.Scalar(1f)), Const("yzp", RandomTensors.Scalar(DType.UInt8, 10))], [DType.UInt8]);
        // Output (kernel [1,2] with taps 1, 0) is x[.., :4] / 2 rounded half to even, plus 10.
        var xs = x.ToInt64Array();
        for (int h = 0; h < 5; h++)
            for (int w = 0; w < 4; w++)
                Assert.Equal((long)Math.Round(xs[h * 5 + w] / 2.0, MidpointRounding.ToEven) + 10, y[0].GetInt64(h * 4 + w));
    }

    [Fact]
    public void ConvInteger_ZeroPointsPadsGroups_MatchesOrt()
    {
        var r = new Random(9);
        var x = RandomTensors.Ints(r, DType.UInt8, 0, 255, 2, 4, 7, 6);
        var w = RandomTensors.Ints(r, DType.UInt8, 0, 255, 4, 2, 3, 2);
        OrtParity.AssertIdentical("ConvInteger", 10,
            [Fed("x", x), Const("w", w), Const("xzp", RandomTensors.Scalar(DType.UInt8, 100)), Const("wzp", RandomTensors.Scalar(DType.UInt8, 140))],
            [DType.Int32], attrs: [("group", 2L), ("pads", new long[] { 1, 2, 0, 1 }), ("strides", new long[] { 1, 2 })]);
    }

    [Fact]
    public void ConvInteger_NoZeroPoints_MatchesOrt()
    {
        var r = new Random(10);
        OrtParity.AssertIdentical("ConvInteger", 10,
            [Fed("x", RandomTensors.Ints(r, DType.UInt8, 0, 255, 1, 3, 9, 9)), Const("w", RandomTensors.Ints(r, DType.UInt8, 0, 255, 2, 3, 3, 3))],
            [DType.Int32], attrs: ("dilations", new long[] { 2, 2 }));
    }

    [Fact]
    public void ConvInteger_PerChannelWeightZeroPoint_MatchesFloatReference()
    {
        // ONNX Runtime's ConvInteger takes a scalar w_zero_point only; per-channel is checked against a direct sum.
        var r = new Random(11);
        var x = RandomTensors.Ints(r, DType.UInt8, 0, 255, 1, 2, 4, 4);
        var w = RandomTensors.Ints(r, DType.UInt8, 0, 255, 3, 2, 2, 2);
        var wzp = RandomTensors.Of(DType.UInt8, [3], 10, 128, 250);
        var g = OrtParity.OneNode("ConvInteger", 10, [Fed("x", x), Const("w", w), Const("xzp", RandomTensors.Scalar(DType.UInt8, 7)), Const("wzp", wzp)], [DType.Int32]);
        var y = new LowBit.Runtime.Session(g).Run(OrtParity.Feeds([Fed("x", x)]))["y0"];
        Assert.Equal(new[] { 1, 3, 3, 3 }, y.Shape);
        for (int m = 0; m < 3; m++)
            for (int oh = 0; oh < 3; oh++)
                for (int ow = 0; ow < 3; ow++)
                {
                    long sum = 0;
                    for (int c = 0; c < 2; c++)
                        for (int kh = 0; kh < 2; kh++)
                            for (int kw = 0; kw < 2; kw++)
                                sum += (x.GetInt64(c * 16 + (oh + kh) * 4 + ow + kw) - 7) * (w.GetInt64(((m * 2 + c) * 2 + kh) * 2 + kw) - wzp.GetInt64(m));
                    Assert.Equal(sum, y.GetInt64((m * 3 + oh) * 3 + ow));
                }
    }
}
