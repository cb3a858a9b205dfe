using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Layout, indexing and generator ops over several dtypes and attribute combinations the node tests do not
/// cover, against ONNX Runtime (bit-exact: no arithmetic) or exact expectations where ONNX Runtime lacks the type.</summary>
public class LayoutOpsTests
{
    private static readonly Random Rng = new(5);

    public static TheoryData<DType> Types() => new() { DType.Float16, DType.Bool, DType.Int8, DType.UInt16, DType.Int64, DType.Float64, DType.String };

    private static Tensor Sample(DType t, params int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        if (t == DType.String) return Tensor.FromArray(Enumerable.Range(0, n).Select(i => $"s{i}").ToArray(), shape);
        var x = Tensor.Zeros(t, shape);
        for (int i = 0; i < n; i++) x.SetDouble(i, t == DType.Bool ? i % 3 % 2 : i % 50 - 10);
        return x;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void MovementOps_AnyDType_MatchOnnxRuntime(DType t)
    {
        var x = Sample(t, 2, 3, 4);
        Check("Transpose", 13, [NodeInput.Fed("x", x)], [t], 0, ("perm", new long[] { 2, 0, 1 }));
        Check("Concat", 13, [NodeInput.Fed("a", x), NodeInput.Fed("b", Sample(t, 2, 1, 4))], [t], 0, ("axis", 1L));
        Check("Gather", 13, [NodeInput.Fed("x", x), NodeInput.Const("i", Longs(2, -1, 0))], [t], 0, ("axis", 2L));
        Check("Slice", 13, [NodeInput.Fed("x", x), NodeInput.Const("s", Longs(3)), NodeInput.Const("e", Longs(0)),
            NodeInput.Const("a", Longs(2)), NodeInput.Const("p", Longs(-2))], [t]);
        Check("Expand", 13, [NodeInput.Fed("x", Sample(t, 3, 1)), NodeInput.Const("s", Longs(2, 3, 4))], [t]);
        Check("Tile", 13, [NodeInput.Fed("x", Sample(t, 2, 3)), NodeInput.Const("r", Longs(2, 2))], [t]);
        Check("Split", 13, [NodeInput.Fed("x", x)], [t, t], 0, ("axis", 2L));
    }

    [Theory]
    [InlineData(DType.Float16)]
    [InlineData(DType.Int32)]
    [InlineData(DType.Bool)]
    public void Pad_AnyDType_MatchOnnxRuntime(DType t)
    {
        var x = Sample(t, 3, 4);
        var v = t == DType.Bool ? RandomTensors.Scalar(t, 1) : RandomTensors.Scalar(t, 7);
        Check("Pad", 18, [NodeInput.Fed("x", x), NodeInput.Const("p", Longs(1, 2, 0, 1)), NodeInput.Const("v", v)], [t]);
        Check("Pad", 18, [NodeInput.Fed("x", x), NodeInput.Const("p", Longs(2, 1, 1, 3))], [t], 0, ("mode", "reflect"));
    }

    [Fact]
    public void Transpose_Int4_PacksNibblesAgain()
    {
        var x = RandomTensors.Of(DType.Int4, [2, 3], -8, -1, 0, 3, 7, -5);
        var y = Ours("Transpose", 21, [NodeInput.Const("x", x)], 1)[0];
        Assert.Equal(DType.Int4, y.DType);
        Assert.Equal(new[] { 3, 2 }, y.Shape);
        Assert.Equal(new double[] { -8, 3, -1, 7, 0, -5 }, Enumerable.Range(0, 6).Select(y.GetDouble));
    }

    [Fact]
    public void Concat_UInt4OddLengths_PacksNibblesAgain()
    {
        var a = RandomTensors.Of(DType.UInt4, [3], 1, 2, 3);
        var b = RandomTensors.Of(DType.UInt4, [2], 14, 15);
        var y = Ours("Concat", 21, [NodeInput.Const("a", a), NodeInput.Const("b", b)], 1, ("axis", 0L))[0];
        Assert.Equal(new double[] { 1, 2, 3, 14, 15 }, Enumerable.Range(0, 5).Select(y.GetDouble));
    }

    [Fact]
    public void GatherElementsAndND_MatchOnnxRuntime()
    {
        var x = Iota(3, 4, 2);
        Check("GatherElements", 13, [NodeInput.Fed("x", x), NodeInput.Const("i", RandomTensors.Ints(Rng, DType.Int64, -4, 3, 3, 2, 2))], [DType.Float32], 0, ("axis", 1L));
        Check("GatherND", 13, [NodeInput.Fed("x", x), NodeInput.Const("i", RandomTensors.Of(DType.Int64, [2, 2], 2, -1, 0, 3))], [DType.Float32]);
        Check("GatherND", 13, [NodeInput.Fed("x", x), NodeInput.Const("i", RandomTensors.Of(DType.Int64, [3, 1, 1], 1, 0, 3))], [DType.Float32], 0, ("batch_dims", 1L));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("add")]
    [InlineData("mul")]
    [InlineData("max")]
    [InlineData("min")]
    public void ScatterReductions_MatchOnnxRuntime(string reduction)
    {
        var data = Iota(4, 3);
        var idx = reduction == "none" ? RandomTensors.Of(DType.Int64, [2, 3], 1, 3, -1, 0, 2, 2) : RandomTensors.Of(DType.Int64, [2, 3], 1, 1, 0, 1, 2, -4);
        Check("ScatterElements", 18, [NodeInput.Fed("x", data), NodeInput.Const("i", idx), NodeInput.Const("u", RandomTensors.Floats(Rng, -5, 5, 2, 3))],
            [DType.Float32], 0, ("axis", 0L), ("reduction", reduction));
        var ndIdx = reduction == "none" ? RandomTensors.Of(DType.Int64, [2, 1], 3, 0) : RandomTensors.Of(DType.Int64, [2, 1], 1, 1);
        Check("ScatterND", 18, [NodeInput.Fed("x", data), NodeInput.Const("i", ndIdx), NodeInput.Const("u", RandomTensors.Floats(Rng, -5, 5, 2, 3))],
            [DType.Float32], 0, ("reduction", reduction));
    }

    [Fact]
    public void Generators_MatchOnnxRuntime()
    {
        Check("Range", 13, [NodeInput.Fed("a", Tensor.Scalar(10L)), NodeInput.Const("b", Tensor.Scalar(-3L)), NodeInput.Const("c", Tensor.Scalar(-4L))], [DType.Int64]);
        Check("Range", 13, [NodeInput.Fed("a", Tensor.Scalar(0.5)), NodeInput.Const("b", Tensor.Scalar(3.0)), NodeInput.Const("c", Tensor.Scalar(0.25))], [DType.Float64]);
        Check("EyeLike", 13, [NodeInput.Fed("x", Iota(3, 5))], [DType.Int32], 0, ("k", -1L), ("dtype", (long)DType.Int32));
        Check("OneHot", 11, [NodeInput.Fed("i", RandomTensors.Of(DType.Int64, [2, 3], 0, -1, 4, 2, -5, 9)), NodeInput.Const("d", Tensor.Scalar(5L)),
            NodeInput.Const("v", Tensor.FromArray(new[] { 2f, 7f }, 2))], [DType.Float32], 0, ("axis", 1L));
        Check("ConstantOfShape", 13, [NodeInput.Fed("s", Longs(2, 3))], [DType.Int8], 0, ("value", Tensor.FromArray(new sbyte[] { -3 }, 1)));
    }

    [Theory]
    [InlineData(1L, 0L)]
    [InlineData(0L, -1L)]
    [InlineData(1L, 7L)]
    [InlineData(0L, -9L)]
    public void Trilu_MatchesOnnxRuntime(long upper, long k) =>
        Check("Trilu", 14, [NodeInput.Fed("x", Iota(2, 3, 5)), NodeInput.Const("k", Tensor.Scalar(k))], [DType.Float32], 0, ("upper", upper));

    [Fact]
    public void SelectionOps_MatchOnnxRuntime()
    {
        Check("NonZero", 13, [NodeInput.Fed("x", RandomTensors.Ints(Rng, DType.Int32, -1, 1, 3, 4))], [DType.Int64]);
        Check("Compress", 11, [NodeInput.Fed("x", Iota(3, 4)), NodeInput.Const("c", Tensor.FromArray(new[] { true, false, true }, 3))], [DType.Float32], 0, ("axis", -1L));
        Check("Compress", 11, [NodeInput.Fed("x", Iota(3, 4)), NodeInput.Const("c", Tensor.FromArray(new[] { false, true, true, false, true }, 5))], [DType.Float32]);
        Check("ReverseSequence", 10, [NodeInput.Fed("x", Iota(4, 3, 2)), NodeInput.Const("l", Longs(4, 1, 3))], [DType.Float32]);
        Check("ReverseSequence", 10, [NodeInput.Fed("x", Iota(3, 4, 2)), NodeInput.Const("l", Longs(2, 4, 0))], [DType.Float32], 0,
            ("batch_axis", 0L), ("time_axis", 1L));
    }

    [Fact]
    public void ShapeAndSize_MatchOnnxRuntime()
    {
        Check("Shape", 15, [NodeInput.Fed("x", Iota(2, 3, 4, 5))], [DType.Int64], 0, ("start", -3L), ("end", -1L));
        Check("Shape", 15, [NodeInput.Fed("x", Iota(2, 3))], [DType.Int64], 0, ("start", 5L));
        Check("Size", 13, [NodeInput.Fed("x", Iota(2, 3))], [DType.Int64]);
        Check("Flatten", 13, [NodeInput.Fed("x", Iota(2, 3, 4))], [DType.Float32], 0, ("axis", -3L));
    }
}
