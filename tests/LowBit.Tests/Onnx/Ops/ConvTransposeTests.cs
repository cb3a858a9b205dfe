using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>ConvTranspose against ONNX Runtime (tolerance as <see cref="ConvTests"/>: 1e-5·max|ORT|).</summary>
public class ConvTransposeTests
{
    public static IEnumerable<object[]> Cases() =>
    [
        // x shape, weight shape [C, M/g, k…], strides, pads, dilations, output_padding, group, output_shape (or null), auto_pad
        [new[] { 1, 3, 5, 4 }, new[] { 3, 2, 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 0, 0, 1 }, new long[] { 1, 1 }, new long[] { 1, 0 }, 1L, null!, "NOTSET"],
        [new[] { 2, 4, 6, 6 }, new[] { 4, 3, 2, 3 }, new long[] { 1, 2 }, new long[] { 0, 1, 0, 1 }, new long[] { 2, 1 }, new long[] { 0, 1 }, 2L, null!, "NOTSET"],
        [new[] { 1, 2, 7 }, new[] { 2, 3, 4 }, new long[] { 3 }, new long[] { 1, 2 }, new long[] { 1 }, new long[] { 2 }, 1L, null!, "NOTSET"],
        [new[] { 1, 2, 3, 4, 3 }, new[] { 2, 2, 2, 2, 2 }, new long[] { 2, 1, 2 }, new long[] { 0, 0, 1, 1, 0, 0 }, new long[] { 1, 1, 1 }, new long[] { 0, 0, 0 }, 1L, null!, "NOTSET"],
        [new[] { 1, 3, 4, 4 }, new[] { 3, 2, 3, 3 }, new long[] { 2, 2 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, new long[] { 0, 0 }, 1L, new long[] { 9, 10 }, "NOTSET"],
        [new[] { 1, 3, 4, 5 }, new[] { 3, 2, 3, 3 }, new long[] { 2, 2 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, new long[] { 0, 0 }, 1L, null!, "SAME_LOWER"],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvTranspose_RandomGeometry_MatchesOrt(int[] xShape, int[] wShape, long[] strides, long[] pads, long[] dilations,
        long[] outputPadding, long group, long[]? outputShape, string autoPad)
    {
        var r = new Random(xShape.Sum() * 17 + wShape.Sum());
        var x = RandomTensors.Floats(r, -1, 1, xShape);
        var w = RandomTensors.Floats(r, -1, 1, wShape);
        var b = RandomTensors.Floats(r, -1, 1, wShape[1] * (int)group);
        var attrs = new List<(string, object)> { ("strides", strides), ("dilations", dilations), ("group", group), ("output_padding", outputPadding), ("auto_pad", autoPad) };
        if (outputShape is not null) attrs.Add(("output_shape", outputShape));
        else if (autoPad == "NOTSET") attrs.Add(("pads", pads));
        var g = OrtParity.OneNode("ConvTranspose", 13, [Fed("x", x), Const("w", w), Const("b", b)], [DType.Float32], attrs: attrs.ToArray());
        var (ours, ort) = OrtParity.Run(g, new() { ["x"] = x });
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, "ConvTranspose");
    }
}
