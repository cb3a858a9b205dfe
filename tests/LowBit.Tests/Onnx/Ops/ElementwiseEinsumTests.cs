using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Einsum forms beyond the node cases (ellipsis broadcasting, implicit output, diagonals, three operands)
/// against ONNX Runtime; sums of ≤ 24 products in a different order: 1e-5 of max |ORT|.</summary>
public class ElementwiseEinsumTests
{
    public static IEnumerable<object[]> Cases() =>
    [
        ["...ij,...jk->...ik", new[] { new[] { 2, 1, 3, 4 }, new[] { 1, 5, 4, 2 } }],
        ["ij,jk", new[] { new[] { 3, 4 }, new[] { 4, 5 } }],
        ["ii->i", new[] { new[] { 4, 4 } }],
        ["ii", new[] { new[] { 4, 4 } }],
        ["bij,bjk,bkl->bil", new[] { new[] { 2, 3, 4 }, new[] { 2, 4, 5 }, new[] { 2, 5, 3 } }],
        ["i,j->ij", new[] { new[] { 3 }, new[] { 4 } }],
        ["bhqd,bhkd->bhqk", new[] { new[] { 1, 2, 5, 8 }, new[] { 1, 2, 6, 8 } }],
        ["ijk->kj", new[] { new[] { 2, 3, 4 } }],
        ["...i,...i->...", new[] { new[] { 3, 4 }, new[] { 1, 4 } }],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Einsum_MatchesOrt(string equation, int[][] shapes)
    {
        var rng = new Random(equation.Length);
        var inputs = shapes.Select((s, i) => (NodeInput?)Fed($"x{i}", RandomTensors.Floats(rng, -1, 1, s))).ToArray();
        var g = OrtParity.OneNode("Einsum", 12, inputs, [DType.Float32], attrs: ("equation", equation));
        var (ours, ort) = OrtParity.Run(g, OrtParity.Feeds(inputs));
        Assert.Equal(ort[0].Shape, ours[0].Shape);
        TensorAssert.RelativeMax(ort[0], ours[0], 1e-5, equation);
    }

    [Fact]
    public void Einsum_EllipsisOfDifferentRanks_BroadcastsRightAligned()
    {
        // numpy semantics (ONNX Runtime's shape inference rejects unequal ellipsis ranks): [3,4]·[4] row dots.
        var a = Tensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, 3, 4);
        var b = Tensor.FromArray(new[] { 1f, 0, 2, 0 }, 4);
        var r = LowBit.Onnx.Ops.EinsumOps.Einsum("...i,...i->...", a, b);
        Assert.Equal(new[] { 3 }, r.Shape);
        Assert.Equal(new[] { 7f, 19, 31 }, r.AsSpan<float>().ToArray());
    }
}
