using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// Conv against ONNX Runtime on random geometries. Tolerance: max|LowBit − ORT| ≤ 1e-5·max|ORT|. Both sum K ≤ 600
/// float32 products in different orders, which typically differs by ~1e-7 relative; a wrong index or padding gives O(1).
/// </summary>
public class ConvTests
{
    public static IEnumerable<object[]> Cases() =>
    [
        // x shape, weight shape, strides, pads, dilations, group, auto_pad, bias
        [new[] { 1, 3, 17, 15 }, new[] { 8, 3, 7, 7 }, new long[] { 2, 2 }, new long[] { 3, 3, 2, 2 }, new long[] { 1, 1 }, 1L, "NOTSET", true],
        [new[] { 2, 16, 9, 9 }, new[] { 20, 16, 3, 3 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 1L, "NOTSET", false],
        [new[] { 1, 8, 11, 10 }, new[] { 12, 4, 3, 2 }, new long[] { 2, 1 }, new long[] { 0, 1, 2, 0 }, new long[] { 2, 1 }, 2L, "NOTSET", true],
        [new[] { 2, 6, 10, 10 }, new[] { 6, 1, 3, 3 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 6L, "NOTSET", true],
        [new[] { 1, 4, 9, 8 }, new[] { 8, 1, 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 0, 1, 1 }, new long[] { 1, 2 }, 4L, "NOTSET", true],
        [new[] { 1, 5, 12, 13 }, new[] { 7, 5, 3, 4 }, new long[] { 2, 3 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1L, "SAME_UPPER", true],
        [new[] { 1, 5, 12, 13 }, new[] { 7, 5, 4, 3 }, new long[] { 3, 2 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1L, "SAME_LOWER", false],
        [new[] { 1, 5, 12, 13 }, new[] { 7, 5, 3, 3 }, new long[] { 2, 2 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1L, "VALID", true],
        [new[] { 3, 32, 7, 7 }, new[] { 64, 32, 1, 1 }, new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1L, "NOTSET", true],
        [new[] { 1, 16, 14, 14 }, new[] { 32, 16, 1, 1 }, new long[] { 2, 2 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 1L, "NOTSET", false],
        [new[] { 3, 8, 5, 5 }, new[] { 64, 4, 3, 3 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 2L, "NOTSET", true],
        [new[] { 2, 4, 20 }, new[] { 6, 4, 5 }, new long[] { 2 }, new long[] { 2, 1 }, new long[] { 2 }, 1L, "NOTSET", true],
        [new[] { 1, 4, 6, 7, 5 }, new[] { 6, 2, 3, 2, 3 }, new long[] { 1, 2, 1 }, new long[] { 1, 0, 1, 1, 1, 0 }, new long[] { 1, 1, 2 }, 2L, "NOTSET", true],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv_RandomGeometry_MatchesOrt(int[] xShape, int[] wShape, long[] strides, long[] pads, long[] dilations, long group,
        string autoPad, bool bias)
    {
        var r = new Random(xShape.Sum() * 31 + wShape.Sum());
        var x = RandomTensors.Floats(r, -1, 1, xShape);
        var w = RandomTensors.Floats(r, -1, 1, wShape);
        var b = RandomTensors.Floats(r, -1, 1, wShape[0]);
        var attrs = new List<(string, object)> { ("strides", strides), ("dilations", dilations), ("group", group), ("auto_pad", autoPad) };
        if (autoPad == "NOTSET") attrs.Add(("pads", pads));
        var g = OrtParity.OneNode("Conv", 13, [Fed("x", x), Const("w", w), bias ? Const("b", b) : Omitted], [DType.Float32], attrs: attrs.ToArray());
        var (ours, ort) = OrtParity.Run(g, new() { ["x"] = x });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, "Conv");
    }

    [Fact]
    public void Conv_Float16_MatchesOrtWithinHalfPrecision()
    {
        var r = new Random(3);
        var x = RandomTensors.Floats(r, -1, 1, 1, 3, 8, 8).ToFloat16();
        var w = RandomTensors.Floats(r, -1, 1, 4, 3, 3, 3).ToFloat16();
        var g = OrtParity.OneNode("Conv", 13, [Fed("x", x), Const("w", w)], [DType.Float16], attrs: ("pads", new long[] { 1, 1, 1, 1 }));
        var (ours, ort) = OrtParity.Run(g, new() { ["x"] = x });
        // LowBit sums in float32 and rounds once; ORT's float16 Conv may round differently: allow a few half ulps of max|y|.
        TensorAssert.RelativeMax(ort[0], ours[0], 4e-3, "Conv fp16");
    }

    [Fact]
    public void Conv_GroupNotDividingChannels_IsInvalidInput()
    {
        var x = Tensor.Zeros(DType.Float32, 1, 3, 4, 4);
        var w = Tensor.Zeros(DType.Float32, 4, 1, 1, 1);
        var g = OrtParity.OneNode("Conv", 13, [Fed("x", x), Const("w", w)], [DType.Float32], attrs: ("group", 2L));
        var e = Assert.Throws<LowBitException>(() => new Runtime.Session(g).Run(new Dictionary<string, Tensor> { ["x"] = x }));
        Assert.Contains("group", e.Message);
    }
}
