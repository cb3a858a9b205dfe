using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>DequantizeLinear against ONNX Runtime: (x − zp)·scale is one float32 multiply, so outputs are bit-identical.</summary>
public class DequantizeLinearTests
{
    private static readonly DType[] F32 = [DType.Float32];

    [Theory]
    [InlineData(DType.UInt8)]
    [InlineData(DType.Int8)]
    [InlineData(DType.Int16)]
    [InlineData(DType.UInt16)]
    public void DequantizeLinear_PerTensorEdges_MatchesOrt(DType type)
    {
        var (min, max) = QuantizeLinearTests.QuantRange(type);
        var x = RandomTensors.Of(type, [6], min, max, 0, min + 1, max - 1, (min + max) / 2);
        var z = RandomTensors.Scalar(type, (min + max) / 2 + 1);
        var y = OrtParity.AssertIdentical("DequantizeLinear", 21, [Fed("x", x), Const("s", Tensor.Scalar(0.125f)), Const("z", z)], F32);
        Assert.Equal((min - ((min + max) / 2 + 1)) * 0.125, y[0].GetDouble(0));
    }

    [Theory]
    [InlineData(DType.Int8, 1)]
    [InlineData(DType.UInt8, -1)]
    [InlineData(DType.Int8, 0)]
    public void DequantizeLinear_PerAxis_MatchesOrt(DType type, long axis)
    {
        var r = new Random(21);
        int[] shape = [3, 4, 5];
        int c = shape[axis < 0 ? axis + 3 : axis];
        var (min, max) = QuantizeLinearTests.QuantRange(type);
        var x = RandomTensors.Ints(r, type, min, max, shape);
        var s = RandomTensors.Floats(r, 0.001f, 0.1f, c);
        var z = RandomTensors.Ints(r, type, min / 4, max / 4, c);
        OrtParity.AssertIdentical("DequantizeLinear", 13, [Fed("x", x), Const("s", s), Const("z", z)], F32, attrs: ("axis", axis));
    }

    [Fact]
    public void DequantizeLinear_Int32Input_MatchesOrt()
    {
        var x = RandomTensors.Of(DType.Int32, [5], int.MinValue, int.MaxValue, 0, -12345, 16777217);
        OrtParity.AssertIdentical("DequantizeLinear", 13, [Fed("x", x), Const("s", Tensor.Scalar(0.0001f))], F32);
    }

    [Theory]
    [InlineData(DType.Int4, 1, 4)]
    [InlineData(DType.UInt4, 1, 3)]
    [InlineData(DType.Int4, 0, 2)]
    [InlineData(DType.UInt8, 1, 2)]
    [InlineData(DType.Int8, 2, 4)]
    public void DequantizeLinear_Blocked_MatchesOrt(DType type, long axis, long block)
    {
        var r = new Random(31 + (int)block);
        int[] shape = [4, 7, 6];
        var sShape = (int[])shape.Clone();
        sShape[axis] = (int)((shape[axis] + block - 1) / block);
        var (min, max) = QuantizeLinearTests.QuantRange(type);
        var x = RandomTensors.Ints(r, type, min, max, shape);
        var s = RandomTensors.Floats(r, 0.01f, 0.5f, sShape);
        var z = RandomTensors.Ints(r, type, min / 2, max / 2, sShape);
        OrtParity.AssertIdentical("DequantizeLinear", 21, [Const("x", x), Const("s", s), Const("z", z)], F32, attrs: [("axis", axis), ("block_size", block)]);
    }

    [Theory]
    [InlineData(DType.Int4)]
    [InlineData(DType.UInt4)]
    public void DequantizeLinear_Int4PerAxisOddLength_MatchesOrt(DType type)
    {
        var r = new Random(7);
        var (min, max) = QuantizeLinearTests.QuantRange(type);
        var x = RandomTensors.Ints(r, type, min, max, 3, 5);
        var s = RandomTensors.Floats(r, 0.1f, 1f, 5);
        var z = RandomTensors.Ints(r, type, min, max, 5);
        OrtParity.AssertIdentical("DequantizeLinear", 21, [Const("x", x), Const("s", s), Const("z", z)], F32, attrs: ("axis", 1L));
    }

    [Fact]
    public void DequantizeLinear_Float16Scale_OutputsFloat16LikeOrt()
    {
        var r = new Random(12);
        var x = RandomTensors.Ints(r, DType.Int8, -128, 127, 4, 6);
        var s = Tensor.Zeros(DType.Float16, 6);
        for (int i = 0; i < 6; i++) s.SetDouble(i, 0.013 * (i + 1));
        var y = OrtParity.AssertIdentical("DequantizeLinear", 19, [Fed("x", x), Const("s", s), Const("z", RandomTensors.Ints(r, DType.Int8, -3, 3, 6))],
            [DType.Float16], attrs: ("axis", 1L));
        Assert.Equal(DType.Float16, y[0].DType);
    }

    [Theory]
    [InlineData(DType.Float8E4M3FN)]
    [InlineData(DType.Float8E5M2)]
    [InlineData(DType.Float8E4M3FNUZ)]
    [InlineData(DType.Float8E5M2FNUZ)]
    public void DequantizeLinear_Float8_MatchesOrt(DType type)
    {
        // Every finite code: 0x00..0x7F and their negatives, minus the NaN/Inf codes (compared separately below).
        var codes = Enumerable.Range(0, 256).Where(c => float.IsFinite(Float8.ToFloat(type, (byte)c))).Select(c => (byte)c).ToArray();
        var x = Tensor.FromStorage(type, codes, codes.Length);
        OrtParity.AssertIdentical("DequantizeLinear", 19, [Const("x", x), Const("s", Tensor.Scalar(0.5f)), Const("z", Tensor.FromStorage(type, new byte[1]))], F32);
    }

    [Fact]
    public void DequantizeLinear_MicrosoftDomainUInt16_MatchesOrt()
    {
        var r = new Random(14);
        var x = RandomTensors.Ints(r, DType.UInt16, 0, 65535, 2, 3, 4);
        var s = RandomTensors.Floats(r, 0.0001f, 0.001f, 3);
        var z = RandomTensors.Ints(r, DType.UInt16, 30000, 35000, 3);
        OrtParity.AssertIdentical("DequantizeLinear", 13, [Fed("x", x), Const("s", s), Const("z", z)], F32, "com.microsoft", ("axis", 1L));
    }
}
