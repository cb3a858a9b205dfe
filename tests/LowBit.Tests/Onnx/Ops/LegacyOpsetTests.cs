using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Old opset forms whose arguments were attributes before they became inputs, against ONNX Runtime (which
/// still runs those opsets). Layout ops are compared bit-exactly; interpolation within 1e-6 of the output range
/// (ONNX Runtime interpolates in float32, LowBit in float64).</summary>
public class LegacyOpsetTests
{
    private static readonly Random Rng = new(7);

    [Fact]
    public void ReshapeV1_ShapeAttribute_MatchesOnnxRuntime() =>
        Check("Reshape", 1, [NodeInput.Fed("x", Iota(2, 3, 4))], [DType.Float32], 0, ("shape", new long[] { 0, -1, 2 }));

    [Fact]
    public void ReshapeV5_ShapeInput_MatchesOnnxRuntime() =>
        Check("Reshape", 9, [NodeInput.Fed("x", Iota(2, 3, 4)), NodeInput.Const("s", Longs(4, 0, -1))], [DType.Float32]);

    [Fact]
    public void ReshapeV14_AllowZero_KeepsLiteralZero()
    {
        var y = Ours("Reshape", 14, [NodeInput.Fed("x", Iota(0, 3)), NodeInput.Const("s", Longs(3, 0))], 1, ("allowzero", 1L))[0];
        Assert.Equal(new[] { 3, 0 }, y.Shape);
    }

    [Fact]
    public void SliceV1_AttributeForm_MatchesOnnxRuntime() =>
        Check("Slice", 9, [NodeInput.Fed("x", Iota(5, 6))], [DType.Float32], 0,
            ("starts", new long[] { 1, -4 }), ("ends", new long[] { long.MaxValue, -1 }), ("axes", new long[] { 0, 1 }));

    [Fact]
    public void SliceV1_DefaultAxes_MatchesOnnxRuntime() =>
        Check("Slice", 9, [NodeInput.Fed("x", Iota(5, 6))], [DType.Float32], 0, ("starts", new long[] { 1 }), ("ends", new long[] { 3 }));

    [Theory]
    [InlineData("constant")]
    [InlineData("reflect")]
    [InlineData("edge")]
    public void PadV2_PadsAttribute_MatchesOnnxRuntime(string mode) =>
        Check("Pad", 9, [NodeInput.Fed("x", Iota(1, 2, 4, 5))], [DType.Float32], 0,
            ("pads", new long[] { 0, 0, 2, 3, 0, 1, 1, 2 }), ("mode", mode), ("value", 1.5f));

    [Theory]
    [InlineData("constant")]
    [InlineData("reflect")]
    [InlineData("edge")]
    [InlineData("wrap")]
    public void PadV19_AxesInputAndModes_MatchOnnxRuntime(string mode) =>
        Check("Pad", 19, [NodeInput.Fed("x", Iota(3, 4, 5)), NodeInput.Const("p", Longs(2, 2, 1, 1)),
            NodeInput.Const("v", Tensor.Scalar(-1f)), NodeInput.Const("a", Longs(-1, 0))], [DType.Float32], 0, ("mode", mode));

    [Fact]
    public void PadV11_NegativePadsCrop_MatchOnnxRuntime() =>
        Check("Pad", 13, [NodeInput.Fed("x", Iota(4, 5)), NodeInput.Const("p", Longs(-1, 2, 1, -3))], [DType.Float32]);

    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    public void UpsampleV7_ScalesAttribute_MatchesOnnxRuntime(string mode) =>
        Check("Upsample", 7, [NodeInput.Fed("x", RandomTensors.Floats(Rng, -1, 1, 1, 2, 3, 4))], [DType.Float32], 1e-6,
            ("scales", new[] { 1f, 1f, 2f, 3.5f }), ("mode", mode));

    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    public void UpsampleV9_ScalesInput_MatchesOnnxRuntime(string mode) =>
        Check("Upsample", 9, [NodeInput.Fed("x", RandomTensors.Floats(Rng, -1, 1, 1, 2, 3, 4)),
            NodeInput.Const("s", Tensor.FromArray(new[] { 1f, 1f, 2.5f, 2f }, 4))], [DType.Float32], 1e-6, ("mode", mode));

    [Theory]
    [InlineData("nearest", 2.0f, 3.0f)]
    [InlineData("nearest", 0.5f, 0.75f)]
    [InlineData("linear", 1.5f, 2.0f)]
    [InlineData("linear", 0.6f, 0.5f)]
    public void ResizeV10_ScalesInput_MatchesOnnxRuntime(string mode, float sh, float sw) =>
        Check("Resize", 10, [NodeInput.Fed("x", RandomTensors.Floats(Rng, -1, 1, 1, 2, 5, 6)),
            NodeInput.Const("s", Tensor.FromArray(new[] { 1f, 1f, sh, sw }, 4))], [DType.Float32], 1e-6, ("mode", mode));

    [Fact]
    public void SplitV2_SplitAttribute_MatchesOnnxRuntime() =>
        Check("Split", 9, [NodeInput.Fed("x", Iota(3, 7))], [DType.Float32, DType.Float32, DType.Float32], 0,
            ("axis", 1L), ("split", new long[] { 2, 4, 1 }));

    [Fact]
    public void SplitV2_EqualParts_MatchesOnnxRuntime() =>
        Check("Split", 11, [NodeInput.Fed("x", Iota(6, 2))], [DType.Float32, DType.Float32, DType.Float32], 0, ("axis", -2L));

    [Fact]
    public void SplitV13_SplitInput_MatchesOnnxRuntime() =>
        Check("Split", 13, [NodeInput.Fed("x", Iota(3, 7)), NodeInput.Const("s", Longs(5, 2))], [DType.Float32, DType.Float32], 0, ("axis", 1L));

    [Fact]
    public void SplitV18_NumOutputsUneven_MatchesOnnxRuntime() =>
        Check("Split", 18, [NodeInput.Fed("x", Iota(2, 7))], [DType.Float32, DType.Float32, DType.Float32], 0, ("axis", 1L), ("num_outputs", 3L));

    [Fact]
    public void SqueezeV11_AxesAttribute_MatchesOnnxRuntime() =>
        Check("Squeeze", 11, [NodeInput.Fed("x", Iota(1, 3, 1, 2))], [DType.Float32], 0, ("axes", new long[] { -2, 0 }));

    [Fact]
    public void SqueezeV13_NoAxes_DropsAllOnes() =>
        Check("Squeeze", 13, [NodeInput.Fed("x", Iota(1, 3, 1, 2))], [DType.Float32]);

    [Fact]
    public void UnsqueezeV11_AxesAttribute_MatchesOnnxRuntime() =>
        Check("Unsqueeze", 11, [NodeInput.Fed("x", Iota(3, 2))], [DType.Float32], 0, ("axes", new long[] { -1, 0, 2 }));

    [Fact]
    public void TopKV1_KAttribute_MatchesOnnxRuntime() =>
        Check("TopK", 9, [NodeInput.Fed("x", RandomTensors.Floats(Rng, -1, 1, 3, 8))], [DType.Float32, DType.Int64], 0, ("k", 3L), ("axis", 1L));

    [Fact]
    public void TopKV11_SmallestWithTies_MatchesOnnxRuntime() =>
        Check("TopK", 11, [NodeInput.Fed("x", RandomTensors.Of(DType.Float32, [2, 6], 3, 1, 3, 2, 1, 1, 5, 5, 0, 5, 4, 0)),
            NodeInput.Const("k", Longs(4))], [DType.Float32, DType.Int64], 0, ("largest", 0L), ("axis", -1L));

    [Fact]
    public void ConcatV4_AtOpset7_MatchesOnnxRuntime() =>
        Check("Concat", 7, [NodeInput.Fed("a", Iota(2, 3)), NodeInput.Fed("b", Iota(2, 1))], [DType.Float32], 0, ("axis", 1L));

    [Fact]
    public void TileV6_RepeatsInput_MatchesOnnxRuntime() =>
        Check("Tile", 9, [NodeInput.Fed("x", Iota(2, 3)), NodeInput.Const("r", Longs(3, 2))], [DType.Float32]);

    [Fact]
    public void DropoutV7_Inference_IsIdentity() =>
        Check("Dropout", 7, [NodeInput.Fed("x", Iota(2, 3))], [DType.Float32], 0, ("ratio", 0.3f));

    [Fact]
    public void DropoutV13_MaskOutput_IsAllTrue() =>
        Check("Dropout", 13, [NodeInput.Fed("x", Iota(2, 3))], [DType.Float32, DType.Bool]);

    [Fact]
    public void GatherV1_NegativeIndicesAtOpset13_MatchOnnxRuntime() =>
        Check("Gather", 13, [NodeInput.Fed("x", Iota(4, 3, 2)), NodeInput.Const("i", RandomTensors.Of(DType.Int64, [2, 2], -1, 0, 3, -4))],
            [DType.Float32], 0, ("axis", 0L));

    [Fact]
    public void DepthToSpace_BothModes_MatchOnnxRuntime()
    {
        Check("DepthToSpace", 13, [NodeInput.Fed("x", Iota(2, 8, 2, 3))], [DType.Float32], 0, ("blocksize", 2L), ("mode", "CRD"));
        Check("DepthToSpace", 13, [NodeInput.Fed("x", Iota(2, 8, 2, 3))], [DType.Float32], 0, ("blocksize", 2L));
        Check("DepthToSpace", 1, [NodeInput.Fed("x", Iota(1, 9, 2, 2))], [DType.Float32], 0, ("blocksize", 3L));
    }

    [Fact]
    public void SpaceToDepth_MatchesOnnxRuntime() =>
        Check("SpaceToDepth", 13, [NodeInput.Fed("x", Iota(2, 3, 4, 6))], [DType.Float32], 0, ("blocksize", 2L));

    // Forms ONNX Runtime no longer registers: exact expectations.

    [Fact]
    public void ConcatV1_DefaultAxisIsOne()
    {
        var y = Ours("Concat", 1, [NodeInput.Fed("a", Iota(2, 1)), NodeInput.Fed("b", Iota(2, 2))], 1)[0];
        Assert.Equal(new[] { 2, 3 }, y.Shape);
        Assert.Equal(new float[] { 0, 0, 1, 1, 2, 3 }, y.ToFloatArray());
    }

    [Fact]
    public void TileV1_TilesAndAxisInputs_RepeatOneAxis()
    {
        var y = Ours("Tile", 1, [NodeInput.Fed("x", Iota(2, 2)), NodeInput.Const("t", Tensor.Scalar(3L)), NodeInput.Const("a", Tensor.Scalar(1L))], 1)[0];
        Assert.Equal(new[] { 2, 6 }, y.Shape);
        Assert.Equal(new float[] { 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3 }, y.ToFloatArray());
    }

    [Fact]
    public void PadV1_PaddingsAttribute_PadsWithValue()
    {
        var y = Ours("Pad", 1, [NodeInput.Fed("x", Iota(2))], 1, ("paddings", new long[] { 1, 2 }), ("value", 9f))[0];
        Assert.Equal(new float[] { 9, 0, 1, 9, 9 }, y.ToFloatArray());
    }

    [Fact]
    public void SplitV1_SplitAsSecondInput_UsesIt()
    {
        var y = Ours("Split", 1, [NodeInput.Fed("x", Iota(5)), NodeInput.Const("s", Longs(1, 4))], 2);
        Assert.Equal(new float[] { 0 }, y[0].ToFloatArray());
        Assert.Equal(new float[] { 1, 2, 3, 4 }, y[1].ToFloatArray());
    }

    [Fact]
    public void DropoutV12_TrainingContext_DropsAndScales()
    {
        var node = new LowBit.Graph.Node("Dropout", ["x", "r"], ["y", "m"]);
        var ctx = new LowBit.Onnx.OpContext { Node = node, Opset = 13, Training = true, Rng = new Random(1) };
        var x = Tensor.FromArray(Enumerable.Repeat(2f, 10000).ToArray(), 10000);
        var r = LowBit.Onnx.Ops.DropoutOps.Dropout(ctx, x, Tensor.Scalar(0.25f));
        var y = r[0]!.ToFloatArray();
        var m = r[1]!.AsSpan<bool>().ToArray();
        // Kept elements are x/(1 − 0.25); the kept fraction is 0.75 ± 5σ (σ = √(0.75·0.25/10⁴) ≈ 0.0043).
        Assert.All(y.Zip(m), p => Assert.Equal(p.Second ? 2f / 0.75f : 0f, p.First, 1e-6f));
        Assert.InRange(m.Count(b => b) / 10000.0, 0.728, 0.772);
        Assert.NotNull(ctx.Saved);
    }
}
