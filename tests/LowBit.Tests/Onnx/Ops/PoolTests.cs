using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Pooling against ONNX Runtime: max pooling exactly (same element chosen, same index), averages to
/// 1e-6·max|ORT| (float sums of ≤ 27 terms in possibly different order).</summary>
public class PoolTests
{
    public static IEnumerable<object[]> Cases() =>
    [
        // x shape, kernel, strides, pads, dilations, ceil_mode, auto_pad
        [new[] { 1, 2, 9, 10 }, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1, 0, 0 }, new long[] { 1, 1 }, 0L, "NOTSET"],
        [new[] { 2, 3, 8, 7 }, new long[] { 2, 3 }, new long[] { 2, 2 }, new long[] { 0, 1, 1, 0 }, new long[] { 1, 1 }, 1L, "NOTSET"],
        [new[] { 1, 1, 6, 6 }, new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 0, 0, 1, 1 }, new long[] { 1, 1 }, 1L, "NOTSET"],
        [new[] { 1, 2, 11 }, new long[] { 4 }, new long[] { 3 }, new long[] { 2, 2 }, new long[] { 1 }, 1L, "NOTSET"],
        [new[] { 1, 2, 5, 6, 7 }, new long[] { 2, 3, 2 }, new long[] { 1, 2, 2 }, new long[] { 1, 0, 1, 0, 1, 1 }, new long[] { 1, 1, 1 }, 0L, "NOTSET"],
        [new[] { 1, 3, 10, 9 }, new long[] { 3, 4 }, new long[] { 2, 3 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 0L, "SAME_UPPER"],
        [new[] { 1, 3, 10, 9 }, new long[] { 3, 4 }, new long[] { 2, 3 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, 0L, "SAME_LOWER"],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPool_WithIndices_MatchesOrt(int[] xShape, long[] kernel, long[] strides, long[] pads, long[] dilations, long ceil, string autoPad)
    {
        var x = RandomTensors.Floats(new Random(xShape.Sum()), -1, 1, xShape);
        foreach (long order in new[] { 0L, 1L })
        {
            var g = OrtParity.OneNode("MaxPool", 12, [Fed("x", x)], [DType.Float32, DType.Int64],
                attrs: Attrs(kernel, strides, pads, dilations, ceil, autoPad, ("storage_order", order)));
            var (ours, ort) = OrtParity.Run(g, new() { ["x"] = x });
            OrtParity.AssertBits(ort[0], ours[0], "MaxPool values");
            OrtParity.AssertBits(ort[1], ours[1], $"MaxPool indices (storage_order {order})");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AveragePool_BothPadCounts_MatchOrt(int[] xShape, long[] kernel, long[] strides, long[] pads, long[] dilations, long ceil, string autoPad)
    {
        if (dilations.Any(d => d != 1)) return;
        var x = RandomTensors.Floats(new Random(xShape.Sum() + 1), -1, 1, xShape);
        foreach (long include in new[] { 0L, 1L })
        {
            var g = OrtParity.OneNode("AveragePool", 11, [Fed("x", x)], [DType.Float32],
                attrs: Attrs(kernel, strides, pads, null, ceil, autoPad, ("count_include_pad", include)));
            var (ours, ort) = OrtParity.Run(g, new() { ["x"] = x });
            TensorAssert.RelativeMax(ort[0], ours[0], 1e-6, $"AveragePool count_include_pad {include}");
        }
    }

    [Theory]
    [InlineData(DType.Int8)]
    [InlineData(DType.UInt8)]
    public void MaxPool_EightBitIntegers_MatchOrt(DType type)
    {
        var x = RandomTensors.Ints(new Random(5), type, type == DType.Int8 ? -128 : 0, type == DType.Int8 ? 127 : 255, 1, 2, 7, 7);
        var g = OrtParity.OneNode("MaxPool", 12, [Fed("x", x)], [type],
            attrs: Attrs([3, 3], [2, 2], [1, 1, 1, 1], null, 0, "NOTSET"));
        var (ours, ort) = OrtParity.Run(g, new() { ["x"] = x });
        OrtParity.AssertBits(ort[0], ours[0], "MaxPool int");
    }

    [Theory]
    [InlineData("GlobalAveragePool")]
    [InlineData("GlobalMaxPool")]
    [InlineData("GlobalLpPool")]
    public void GlobalPools_MatchOrt(string op)
    {
        var x = RandomTensors.Floats(new Random(op.Length), -1, 1, 2, 3, 5, 4);
        var g = OrtParity.OneNode(op, 13, [Fed("x", x)], [DType.Float32]);
        var (ours, ort) = OrtParity.Run(g, new() { ["x"] = x });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-6, op);
    }

    [Theory]
    [InlineData(2L)]
    [InlineData(3L)]
    public void LpPool_MatchesOrt(long p)
    {
        var x = RandomTensors.Floats(new Random(9), -1, 1, 1, 2, 6, 7);
        var g = OrtParity.OneNode("LpPool", 11, [Fed("x", x)], [DType.Float32],
            attrs: Attrs([2, 3], [2, 2], [1, 0, 0, 1], null, 0, "NOTSET", ("p", p)));
        var (ours, ort) = OrtParity.Run(g, new() { ["x"] = x });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, "LpPool");
    }

    private static (string, object)[] Attrs(long[] kernel, long[] strides, long[] pads, long[]? dilations, long ceil, string autoPad,
        params (string, object)[] extra)
    {
        var a = new List<(string, object)> { ("kernel_shape", kernel), ("strides", strides), ("auto_pad", autoPad) };
        if (autoPad == "NOTSET") a.Add(("pads", pads));
        if (dilations is not null) a.Add(("dilations", dilations));
        if (ceil != 0) a.Add(("ceil_mode", ceil));
        a.AddRange(extra);
        return a.ToArray();
    }
}
