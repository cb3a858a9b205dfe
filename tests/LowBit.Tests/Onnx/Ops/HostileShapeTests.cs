using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Shapes of 2^40 elements (or more) from data must fail with a clear error before anything is allocated.</summary>
public class HostileShapeTests
{
    private const long Huge = 1L << 40;

    private static void AssertRefused(string op, long opset, NodeInput?[] inputs, string expect, params (string, object)[] attrs)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<LowBitException>(() => Ours(op, opset, inputs, 1, attrs));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(expect, e.Message);
        Assert.True(allocated < 64L << 20, $"{op}: {allocated} bytes allocated before refusing");
    }

    [Fact]
    public void ConstantOfShape_HugeShape_IsRefused() =>
        AssertRefused("ConstantOfShape", 13, [NodeInput.Fed("s", Longs(Huge))], "elements");

    [Fact]
    public void ConstantOfShape_ProductOverflow_IsRefused() =>
        AssertRefused("ConstantOfShape", 13, [NodeInput.Fed("s", Longs(1 << 20, 1 << 20, 1 << 20, 1 << 20))], "elements");

    [Fact]
    public void Expand_HugeShape_IsRefused() =>
        AssertRefused("Expand", 13, [NodeInput.Fed("x", Iota(1)), NodeInput.Const("s", Longs(Huge))], "elements");

    [Fact]
    public void Expand_BroadcastProductTooLarge_IsRefused() =>
        AssertRefused("Expand", 13, [NodeInput.Fed("x", Iota(1 << 16, 1)), NodeInput.Const("s", Longs(1, 1 << 16))], "elements");

    [Fact]
    public void Tile_HugeRepeats_IsRefused() =>
        AssertRefused("Tile", 13, [NodeInput.Fed("x", Iota(2)), NodeInput.Const("r", Longs(Huge))], "elements");

    [Fact]
    public void Reshape_HugeShape_IsRefused() =>
        AssertRefused("Reshape", 13, [NodeInput.Fed("x", Iota(4)), NodeInput.Const("s", Longs(Huge, -1))], "Reshape");

    [Fact]
    public void Range_HugeLength_IsRefused() =>
        AssertRefused("Range", 13, [NodeInput.Fed("a", Tensor.Scalar(0L)), NodeInput.Const("b", Tensor.Scalar(Huge)),
            NodeInput.Const("c", Tensor.Scalar(1L))], "elements");

    [Fact]
    public void Range_HugeFloatLength_IsRefused() =>
        AssertRefused("Range", 13, [NodeInput.Fed("a", Tensor.Scalar(0f)), NodeInput.Const("b", Tensor.Scalar(1e30f)),
            NodeInput.Const("c", Tensor.Scalar(1f))], "elements");

    [Fact]
    public void Pad_HugePads_IsRefused() =>
        AssertRefused("Pad", 13, [NodeInput.Fed("x", Iota(2)), NodeInput.Const("p", Longs(Huge, 0))], "elements");

    [Fact]
    public void Resize_HugeScale_IsRefused() =>
        AssertRefused("Resize", 13, [NodeInput.Fed("x", Iota(1, 1, 2, 2)), null, NodeInput.Const("s", Tensor.FromArray(new[] { 1f, 1f, 1e12f, 1f }, 4))], "elements");

    [Fact]
    public void OneHot_HugeDepth_IsRefused() =>
        AssertRefused("OneHot", 11, [NodeInput.Fed("i", Longs(1, 2)), NodeInput.Const("d", Tensor.Scalar(Huge)),
            NodeInput.Const("v", Tensor.FromArray(new[] { 0f, 1f }, 2))], "depth");

    [Fact]
    public void Expand_ZeroSizeWithHugeDim_IsRefused() =>
        AssertRefused("Expand", 13, [NodeInput.Fed("x", Iota(0, 1)), NodeInput.Const("s", Longs(0, Huge))], "elements");
}
