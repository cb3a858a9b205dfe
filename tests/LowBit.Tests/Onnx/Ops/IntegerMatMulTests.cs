using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>QLinearMatMul and MatMulInteger against ONNX Runtime: integer outputs must be identical.</summary>
public class IntegerMatMulTests
{
    [Theory]
    [InlineData(DType.UInt8, DType.UInt8)]
    [InlineData(DType.UInt8, DType.Int8)]
    [InlineData(DType.Int8, DType.Int8)]
    public void QLinearMatMul_2D_MatchesOrt(DType aType, DType bType)
    {
        var r = new Random(1);
        var (amin, amax) = QuantizeLinearTests.QuantRange(aType);
        var (bmin, bmax) = OrtU8S8.WeightRange(aType, bType);
        OrtParity.AssertIdentical("QLinearMatMul", 10,
            [Fed("a", RandomTensors.Ints(r, aType, amin, amax, 7, 33)), Const("as", Tensor.Scalar(0.02f)), Const("azp", RandomTensors.Scalar(aType, amin + 100)),
             Const("b", RandomTensors.Ints(r, bType, bmin, bmax, 33, 5)), Const("bs", Tensor.Scalar(0.005f)), Const("bzp", RandomTensors.Scalar(bType, bmin + 120)),
             Const("ys", Tensor.Scalar(0.3f)), Const("yzp", RandomTensors.Scalar(aType, amin + 128))], [aType]);
    }

    [Fact]
    public void QLinearMatMul_BatchBroadcast_MatchesOrt()
    {
        var r = new Random(2);
        OrtParity.AssertIdentical("QLinearMatMul", 10,
            [Fed("a", RandomTensors.Ints(r, DType.UInt8, 0, 255, 2, 1, 4, 16)), Const("as", Tensor.Scalar(0.03f)), Const("azp", RandomTensors.Scalar(DType.UInt8, 120)),
             Const("b", OrtU8S8.Int8Weights(r, 3, 16, 6)), Const("bs", Tensor.Scalar(0.004f)), Const("bzp", RandomTensors.Scalar(DType.Int8, 0)),
             Const("ys", Tensor.Scalar(0.2f)), Const("yzp", RandomTensors.Scalar(DType.UInt8, 100))], [DType.UInt8]);
    }

    [Fact]
    public void QLinearMatMul_PerColumnB_MatchesOrt()
    {
        var r = new Random(12);
        OrtParity.AssertIdentical("QLinearMatMul", 10,
            [Fed("a", RandomTensors.Ints(r, DType.UInt8, 0, 255, 2, 5, 16)), Const("as", Tensor.Scalar(0.03f)), Const("azp", RandomTensors.Scalar(DType.UInt8, 120)),
             Const("b", OrtU8S8.Int8Weights(r, 16, 6)), Const("bs", RandomTensors.Floats(r, 0.001f, 0.01f, 6)),
             Const("bzp", RandomTensors.Ints(r, DType.Int8, -10, 10, 6)),
             Const("ys", Tensor.Scalar(0.2f)), Const("yzp", RandomTensors.Scalar(DType.UInt8, 100))], [DType.UInt8]);
    }

    [Fact]
    public void QLinearMatMul_HalfMultiplierAndSaturation_MatchesOrt()
    {
        // a_scale·b_scale/y_scale = 1·0.5/1: odd accumulators tie at .5; large sums saturate at 0 and 255.
        var a = RandomTensors.Of(DType.UInt8, [3, 2], 1, 0, 3, 0, 255, 255);
        var b = RandomTensors.Of(DType.UInt8, [2, 3], 1, 5, 255, 1, 9, 255);
        var y = OrtParity.AssertIdentical("QLinearMatMul", 10,
            [Fed("a", a), Const("as", Tensor.Scalar(1f)), Const("azp", RandomTensors.Scalar(DType.UInt8, 0)),
             Const("b", b), Const("bs", Tensor.Scalar(0.5f)), Const("bzp", RandomTensors.Scalar(DType.UInt8, 0)),
             Const("ys", Tensor.Scalar(1f)), Const("yzp", RandomTensors.Scalar(DType.UInt8, 0))], [DType.UInt8]);
        // Row 0: [1·1, 1·5, 1·255]/2 = 0.5→0, 2.5→2, 127.5→128; row 1: 1.5→2, 7.5→8, 382.5→255.
        Assert.Equal([0, 2, 128, 2, 8, 255], y[0].ToInt64Array()[..6]);
    }

    [Theory]
    [InlineData(DType.UInt8, DType.Int8)]
    [InlineData(DType.UInt8, DType.UInt8)]
    [InlineData(DType.Int8, DType.Int8)]
    public void MatMulInteger_ZeroPoints_MatchesOrt(DType aType, DType bType)
    {
        var r = new Random(3);
        var (amin, amax) = QuantizeLinearTests.QuantRange(aType);
        var (bmin, bmax) = OrtU8S8.WeightRange(aType, bType);
        OrtParity.AssertIdentical("MatMulInteger", 10,
            [Fed("a", RandomTensors.Ints(r, aType, amin, amax, 2, 5, 40)), Const("b", RandomTensors.Ints(r, bType, bmin, bmax, 40, 7)),
             Const("azp", RandomTensors.Scalar(aType, amin + 77)), Const("bzp", RandomTensors.Ints(r, bType, bmin + 50, bmax - 50, 7))], [DType.Int32]);
    }

    [Fact]
    public void MatMulInteger_VectorTimesMatrix_MatchesOrt()
    {
        var r = new Random(4);
        OrtParity.AssertIdentical("MatMulInteger", 10,
            [Fed("a", RandomTensors.Ints(r, DType.UInt8, 0, 255, 9)), Const("b", RandomTensors.Ints(r, DType.UInt8, 0, 255, 2, 9, 3))], [DType.Int32]);
    }

    [Fact]
    public void MatMulInteger_PerRowAZeroPoint_MatchesDirectSum()
    {
        // ONNX Runtime takes a scalar a_zero_point only; the per-row form (spec: 1-D of M) is checked against a direct sum.
        var r = new Random(5);
        var a = RandomTensors.Ints(r, DType.UInt8, 0, 255, 3, 4);
        var b = RandomTensors.Ints(r, DType.Int8, -128, 127, 4, 2);
        var azp = RandomTensors.Of(DType.UInt8, [3], 0, 128, 255);
        var g = OrtParity.OneNode("MatMulInteger", 10, [Fed("a", a), Const("b", b), Const("azp", azp)], [DType.Int32]);
        var y = new LowBit.Runtime.Session(g).Run(OrtParity.Feeds([Fed("a", a)]))["y0"];
        for (int m = 0; m < 3; m++)
            for (int n = 0; n < 2; n++)
            {
                long sum = 0;
                for (int k = 0; k < 4; k++) sum += (a.GetInt64(m * 4 + k) - azp.GetInt64(m)) * b.GetInt64(k * 2 + n);
                Assert.Equal(sum, y.GetInt64(m * 2 + n));
            }
    }
}
