using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>QuantizeLinear against ONNX Runtime: every output must be bit-identical (integer codes, float8 bytes).</summary>
public class QuantizeLinearTests
{
    private static readonly DType[] U8 = [DType.UInt8];

    [Fact]
    public void QuantizeLinear_TiesAtHalf_RoundToEvenLikeOrt()
    {
        // scale 0.5 makes x / scale exact, so x = k·0.25 hits every .5 tie: 0.5→0, 1.5→2, 2.5→2, −0.5→−0, −1.5→−2.
        var x = RandomTensors.Of(DType.Float32, [12], -1.25, -0.75, -0.25, 0.25, 0.75, 1.25, 1.75, 2.25, 31.25, 31.75, -31.25, 0);
        var y = OrtParity.AssertIdentical("QuantizeLinear", 13,
            [Fed("x", x), Const("s", Tensor.Scalar(0.5f)), Const("z", RandomTensors.Scalar(DType.Int8, 3))], [DType.Int8]);
        Assert.Equal([1, 1, 3, 3, 5, 5, 7, 7, 65, 67, -59, 3], y[0].ToInt64Array());
    }

    [Theory]
    [InlineData(DType.UInt8, 0, 255)]
    [InlineData(DType.Int8, -128, 127)]
    [InlineData(DType.UInt16, 0, 65535)]
    [InlineData(DType.Int16, -32768, 32767)]
    public void QuantizeLinear_OutOfRange_SaturatesToTypeLimits(DType type, int min, int max)
    {
        var x = RandomTensors.Of(DType.Float32, [8], -1e9, 1e9, -3e5, 3e5, float.MinValue, float.MaxValue, -0.4, 0.4);
        var zp = RandomTensors.Scalar(type, type is DType.UInt8 or DType.UInt16 ? 7 : -2);
        // int16/uint16 zero points need opset 21.
        var y = OrtParity.AssertIdentical("QuantizeLinear", 21, [Fed("x", x), Const("s", Tensor.Scalar(0.02f)), Const("z", zp)], [type]);
        var v = y[0].ToInt64Array();
        Assert.Equal([min, max, min, max, min, max], v[..6]);
    }

    [Theory]
    [InlineData(DType.UInt8, 1)]
    [InlineData(DType.Int8, 0)]
    [InlineData(DType.Int8, -1)]
    [InlineData(DType.UInt16, 2)]
    public void QuantizeLinear_PerAxisAsymmetric_MatchesOrt(DType type, long axis)
    {
        var r = new Random(11);
        int[] shape = [3, 5, 4];
        int ax = (int)(axis < 0 ? axis + 3 : axis);
        int c = shape[ax];
        var x = RandomTensors.Floats(r, -4, 4, shape);
        var s = RandomTensors.Floats(r, 0.005f, 0.05f, c);
        var (min, max) = type == DType.Int8 ? (-20, 20) : (0, 40);
        var z = RandomTensors.Ints(r, type, min, max, c);
        OrtParity.AssertIdentical("QuantizeLinear", 21, [Fed("x", x), Const("s", s), Const("z", z)], [type], attrs: ("axis", axis));
    }

    [Fact]
    public void QuantizeLinear_NoZeroPoint_DefaultsToUInt8()
    {
        var x = RandomTensors.Floats(new Random(3), -2, 300, 40);
        var y = OrtParity.AssertIdentical("QuantizeLinear", 13, [Fed("x", x), Const("s", Tensor.Scalar(1.1f))], U8);
        Assert.Equal(DType.UInt8, y[0].DType);
    }

    [Theory]
    [InlineData(DType.Int4, 1, 4)]
    [InlineData(DType.UInt4, 1, 3)]
    [InlineData(DType.Int4, 0, 2)]
    [InlineData(DType.Int8, 1, 4)]
    [InlineData(DType.UInt8, 2, 5)]
    public void QuantizeLinear_Blocked_MatchesOrt(DType type, long axis, long block)
    {
        var r = new Random(5 + (int)block);
        int[] shape = [4, 7, 6];
        int ax = (int)axis;
        var sShape = (int[])shape.Clone();
        sShape[ax] = (int)((shape[ax] + block - 1) / block);
        var x = RandomTensors.Floats(r, -3, 3, shape);
        var s = RandomTensors.Floats(r, 0.1f, 0.6f, sShape);
        var (min, max) = QuantRange(type);
        var z = RandomTensors.Ints(r, type, min / 2, max / 2, sShape);
        OrtParity.AssertIdentical("QuantizeLinear", 21, [Fed("x", x), Const("s", s), Const("z", z)], [type], attrs: [("axis", axis), ("block_size", block)]);
    }

    [Theory]
    [InlineData(DType.Int4)]
    [InlineData(DType.UInt4)]
    public void QuantizeLinear_Int4OddLength_PacksLikeOrt(DType type)
    {
        // 9 elements: the last byte holds one code in its low nibble; values cover both saturation edges.
        var x = RandomTensors.Of(DType.Float32, [9], -100, -8.5, -7.5, -0.5, 0.5, 6.5, 7.5, 15.5, 100);
        OrtParity.AssertIdentical("QuantizeLinear", 21, [Fed("x", x), Const("s", Tensor.Scalar(1f)), Const("z", RandomTensors.Scalar(type, 0))], [type]);
    }

    [Theory]
    [InlineData(DType.Int4)]
    [InlineData(DType.Int16)]
    public void QuantizeLinear_OutputDtypeAttribute_SelectsType(DType type)
    {
        var x = RandomTensors.Floats(new Random(2), -10, 10, 2, 5);
        var g = OrtParity.OneNode("QuantizeLinear", 21, [Fed("x", x), Const("s", Tensor.Scalar(0.7f))], [type], attrs: ("output_dtype", (long)type));
        var ours = new LowBit.Runtime.Session(g).Run(OrtParity.Feeds([Fed("x", x)]), ["y0"]);
        Assert.Equal(type, ours["y0"].DType);
        OrtParity.AssertIdentical("QuantizeLinear", 21, [Fed("x", x), Const("s", Tensor.Scalar(0.7f))], [type], attrs: ("output_dtype", (long)type));
    }

    [Theory]
    [InlineData(DType.Float8E4M3FN, 1)]
    [InlineData(DType.Float8E4M3FN, 0)]
    [InlineData(DType.Float8E5M2, 1)]
    [InlineData(DType.Float8E5M2, 0)]
    [InlineData(DType.Float8E4M3FNUZ, 1)]
    [InlineData(DType.Float8E5M2FNUZ, 1)]
    public void QuantizeLinear_Float8_MatchesOrt(DType type, long saturate)
    {
        var r = new Random(9);
        var x = RandomTensors.Floats(r, -600, 600, 64);
        var xs = x.AsSpan<float>();
        xs[0] = 0; xs[1] = -1e6f; xs[2] = 1e6f; xs[3] = 448; xs[4] = 464; xs[5] = -0.001f;
        OrtParity.AssertIdentical("QuantizeLinear", 19, [Fed("x", x), Const("s", Tensor.Scalar(2f)), Const("z", RandomTensors.Scalar(type, 0))], [type],
            attrs: ("saturate", saturate));
    }

    [Fact]
    public void QuantizeLinear_Float16Input_MatchesOrt()
    {
        var r = new Random(4);
        var x = Tensor.Zeros(DType.Float16, 3, 8);
        for (int i = 0; i < x.Length; i++) x.SetDouble(i, r.NextDouble() * 20 - 10);
        var s = Tensor.Zeros(DType.Float16, 8);
        for (int i = 0; i < 8; i++) s.SetDouble(i, 0.05 + 0.01 * i);
        OrtParity.AssertIdentical("QuantizeLinear", 19, [Fed("x", x), Const("s", s), Const("z", RandomTensors.Ints(r, DType.Int8, -5, 5, 8))], [DType.Int8]);
    }

    [Fact]
    public void QuantizeLinear_MicrosoftDomain_MatchesOrt()
    {
        var r = new Random(8);
        var x = RandomTensors.Floats(r, -1, 1, 2, 6, 3);
        var s = RandomTensors.Floats(r, 0.004f, 0.01f, 6);
        var z = RandomTensors.Ints(r, DType.UInt8, 100, 150, 6);
        OrtParity.AssertIdentical("QuantizeLinear", 13, [Fed("x", x), Const("s", s), Const("z", z)], U8, "com.microsoft", ("axis", 1L));
    }

    [Fact]
    public void QuantizeLinear_BlockedScaleWithWrongShape_Throws()
    {
        var g = OrtParity.OneNode("QuantizeLinear", 21,
            [Fed("x", Tensor.Zeros(DType.Float32, 4, 6)), Const("s", Tensor.Zeros(DType.Float32, 4, 3))], U8, attrs: [("axis", 1L), ("block_size", 4L)]);
        var e = Assert.Throws<LowBitException>(() => new LowBit.Runtime.Session(g).Run(OrtParity.Feeds([Fed("x", Tensor.Zeros(DType.Float32, 4, 6))])));
        Assert.Contains("block_size", e.Message);
    }

    [Theory]
    [InlineData(DType.Float8E4M3FN)]
    [InlineData(DType.Float8E4M3FNUZ)]
    [InlineData(DType.Float8E5M2)]
    [InlineData(DType.Float8E5M2FNUZ)]
    [InlineData(DType.Float4E2M1)]
    public void SmallFloatEncoder_EqualsFloat8FromFloat_IncludingTiesAndOverflow(DType type)
    {
        // Every code value, every midpoint between neighbours (the ties), their neighbours one ulp away, and random values.
        var codes = Enumerable.Range(0, type == DType.Float4E2M1 ? 16 : 256).Select(c => Float8.ToFloat(type, (byte)c)).Where(float.IsFinite).Distinct().Order().ToArray();
        var probes = new List<float> { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e30f, -1e30f, float.Epsilon };
        for (int i = 0; i + 1 < codes.Length; i++)
        {
            float mid = (codes[i] + codes[i + 1]) / 2;
            probes.AddRange([codes[i], mid, MathF.BitIncrement(mid), MathF.BitDecrement(mid)]);
        }
        probes.Add(codes[^1] * 1.0625f);
        var r = new Random(1);
        for (int i = 0; i < 2000; i++) probes.Add((float)((r.NextDouble() - 0.5) * 2.5 * codes[^1]));
        var enc = LowBit.Onnx.Ops.SmallFloatEncoder.For(type);
        foreach (bool saturate in new[] { true, false })
            foreach (float v in probes)
                Assert.True(Float8.FromFloat(type, v, saturate) == enc.Encode(v, saturate), $"{type} saturate={saturate} x={v:R}");
    }

    internal static (int, int) QuantRange(DType t) => t switch
    {
        DType.Int4 => (-8, 7), DType.UInt4 => (0, 15), DType.Int8 => (-128, 127), DType.UInt8 => (0, 255),
        DType.Int16 => (-32768, 32767), _ => (0, 65535),
    };
}
