using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Slice clamping rules (ONNX opset 13) against ONNX Runtime, bit-exact: slicing moves elements, no arithmetic.</summary>
public class SliceTests
{
    private static Tensor[] Slice(Tensor data, long[] starts, long[] ends, long[]? axes = null, long[]? steps = null) =>
        Check("Slice", 13, [NodeInput.Fed("x", data), NodeInput.Const("s", Longs(starts)), NodeInput.Const("e", Longs(ends)),
            axes is null ? null : NodeInput.Const("a", Longs(axes)), steps is null ? null : NodeInput.Const("p", Longs(steps))],
            [DType.Float32]);

    public static TheoryData<long, long, long> Ranges() => new()
    {
        { 0, long.MaxValue, 1 },          // INT64_MAX end: to the end
        { -1, long.MinValue, -1 },        // whole dim reversed
        { long.MaxValue, long.MinValue, -1 }, // start clamps to d−1
        { long.MinValue, 3, 1 },          // start clamps to 0
        { 2, 100, 3 },                    // end out of bounds, step 3
        { 10, 12, 1 },                    // start past the end: empty
        { 4, 1, 1 },                      // start > end with positive step: empty
        { 1, 4, -1 },                     // start < end with negative step: empty
        { -2, -7, -2 },                   // negative start/end, step −2
        { 0, 7, long.MaxValue },          // huge step: one element
        { 6, -100, long.MinValue },       // INT64_MIN step: one element
        { -100, -99, 1 },                 // both below −d: empty
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void Slice_ClampingEdgeCases_MatchOnnxRuntime(long start, long end, long step)
    {
        var r = Slice(Iota(7, 3), [start], [end], [0], [step]);
        var (s, n) = LowBit.Onnx.Ops.SliceOps.Range(start, end, step, 7);
        Assert.Equal(n, r[0].Shape[0]);
        if (n > 0) Assert.Equal(s * 3, r[0].GetDouble(0));
    }

    [Fact]
    public void Slice_NegativeAxesAndSteps_MatchOnnxRuntime() =>
        Slice(Iota(4, 5, 6), [-1, 1, 5], [long.MinValue, 5, 0], [0, -2, -1], [-2, 2, -3]);

    [Fact]
    public void Slice_DefaultAxesAndSteps_MatchOnnxRuntime() => Slice(Iota(4, 5), [1, -3], [3, long.MaxValue]);

    [Fact]
    public void Slice_Int32Indices_MatchOnnxRuntime() =>
        Check("Slice", 13, [NodeInput.Fed("x", Iota(6, 4)), NodeInput.Const("s", Tensor.FromArray(new[] { 5, 1 }, 2)),
            NodeInput.Const("e", Tensor.FromArray(new[] { int.MinValue, int.MaxValue }, 2)), NodeInput.Const("a", Tensor.FromArray(new[] { 0, 1 }, 2)),
            NodeInput.Const("p", Tensor.FromArray(new[] { -2, 2 }, 2))], [DType.Float32]);

    [Fact]
    public void Slice_ZeroStep_FailsClearly()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("Slice", 13, [NodeInput.Fed("x", Iota(4)), NodeInput.Const("s", Longs(0)),
            NodeInput.Const("e", Longs(4)), NodeInput.Const("a", Longs(0)), NodeInput.Const("p", Longs(0))], 1));
        Assert.Contains("step must not be 0", e.Message);
    }

    [Fact]
    public void Slice_RepeatedAxis_FailsClearly()
    {
        var e = Assert.Throws<LowBitException>(() => Ours("Slice", 13, [NodeInput.Fed("x", Iota(4, 4)), NodeInput.Const("s", Longs(0, 1)),
            NodeInput.Const("e", Longs(2, 3)), NodeInput.Const("a", Longs(1, -1))], 1));
        Assert.Contains("repeat", e.Message);
    }

    [Fact]
    public void Slice_StringTensor_MovesReferences()
    {
        var x = Tensor.FromArray(new[] { "a", "b", "c", "d", "e", "f" }, 2, 3);
        var y = Ours("Slice", 13, [NodeInput.Fed("x", x), NodeInput.Const("s", Longs(2)), NodeInput.Const("e", Longs(long.MinValue)),
            NodeInput.Const("a", Longs(1)), NodeInput.Const("p", Longs(-2))], 1)[0];
        Assert.Equal(new[] { "c", "a", "f", "d" }, y.AsSpan<string>().ToArray());
        Assert.Equal(new[] { 2, 2 }, y.Shape);
    }
}
