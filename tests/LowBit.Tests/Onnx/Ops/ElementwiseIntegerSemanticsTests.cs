using LowBit.Onnx.Ops;
using LowBit.Runtime;
using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Integer element-wise semantics (exact): C/ONNX Runtime division and remainder, Python remainder, integer
/// power, wraparound, bit shifts; where ONNX Runtime runs the op, its result is the oracle.</summary>
public class ElementwiseIntegerSemanticsTests
{
    private static Tensor I32(params int[] v) => Tensor.FromArray(v, v.Length);

    [Fact]
    public void Div_Int32_TruncatesTowardZeroAsOrt()
    {
        var a = I32(7, -7, 7, -7, 0, 1, -1, 2147483647);
        var b = I32(2, 2, -2, -2, 3, -3, 5, 2);
        var ours = OrtParity.AssertIdentical("Div", 14, [Fed("a", a), Fed("b", b)], [DType.Int32]);
        Assert.Equal(new[] { 3, -3, -3, 3, 0, 0, 0, 1073741823 }, ours[0].AsSpan<int>().ToArray());
    }

    [Fact]
    public void Div_MinByMinusOne_WrapsAndByZeroThrows()
    {
        Assert.Equal(new[] { int.MinValue }, Arithmetic.Div(I32(int.MinValue), I32(-1)).AsSpan<int>().ToArray());
        Assert.Equal(new[] { long.MinValue }, Arithmetic.Div(Tensor.FromArray(new[] { long.MinValue }, 1), Tensor.FromArray(new[] { -1L }, 1)).AsSpan<long>().ToArray());
        Assert.Throws<DivideByZeroException>(() => Arithmetic.Div(I32(1), I32(0)));
    }

    [Fact]
    public void Div_ByZeroInSession_IsInvalidInputNamingTheNode()
    {
        var g = OrtParity.OneNode("Div", 14, [Fed("a", I32(1)), Fed("b", I32(0))], [DType.Int32]);
        var e = Assert.Throws<LowBitException>(() => new Session(g).Run(new Dictionary<string, Tensor> { ["a"] = I32(1), ["b"] = I32(0) }));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("div", e.Message);
    }

    [Fact]
    public void Div_ByZeroInLargeParallelTensor_IsInvalidInputNotAggregate()
    {
        var a = Tensor.FromArray(Enumerable.Range(0, 200_000).ToArray(), 200_000);
        var b = Tensor.FromArray(Enumerable.Range(0, 200_000).Select(i => i == 150_000 ? 0 : 3).ToArray(), 200_000);
        var g = OrtParity.OneNode("Div", 14, [Fed("a", a), Fed("b", b)], [DType.Int32]);
        var e = Assert.Throws<LowBitException>(() => new Session(g, new SessionOptions(threads: 2)).Run(new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b }));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("division by zero", e.Message);
    }

    [Fact]
    public void Mod_Int32_PythonAndCSemanticsMatchOrt()
    {
        var a = I32(7, -7, 7, -7, 6, -6);
        var b = I32(3, 3, -3, -3, 3, -3);
        var py = OrtParity.AssertIdentical("Mod", 13, [Fed("a", a), Fed("b", b)], [DType.Int32], attrs: ("fmod", 0L));
        Assert.Equal(new[] { 1, 2, -2, -1, 0, 0 }, py[0].AsSpan<int>().ToArray());
        var c = OrtParity.AssertIdentical("Mod", 13, [Fed("a", a), Fed("b", b)], [DType.Int32], attrs: ("fmod", 1L));
        Assert.Equal(new[] { 1, -1, 1, -1, 0, 0 }, c[0].AsSpan<int>().ToArray());
        // MIN mod −1 traps in C (ONNX Runtime crashes on it); mathematically it is 0.
        Assert.Equal(new[] { 0 }, PowMod.Mod(I32(int.MinValue), I32(-1), fmod: 1).AsSpan<int>().ToArray());
    }

    [Fact]
    public void Mod_Float_FmodAndNumpySemantics()
    {
        var a = Tensor.FromArray(new[] { 5.5f, -5.5f, 5.5f, -5.5f }, 4);
        var b = Tensor.FromArray(new[] { 2f, 2f, -2f, -2f }, 4);
        Assert.Equal(new[] { 1.5f, -1.5f, 1.5f, -1.5f }, PowMod.Mod(a, b, fmod: 1).AsSpan<float>().ToArray());
        Assert.Equal(new[] { 1.5f, 0.5f, -0.5f, -1.5f }, PowMod.Mod(a, b, fmod: 0).AsSpan<float>().ToArray());
    }

    [Fact]
    public void Pow_IntegerBase_ExactWrapsAndTruncatesNegativeExponents()
    {
        var r = PowMod.Pow(Tensor.FromArray(new long[] { 3, -2, 2, 1, -1, -1, 5, 0 }, 8), Tensor.FromArray(new long[] { 4, 3, 64, -3, -3, -2, -1, 0 }, 8));
        Assert.Equal(new long[] { 81, -8, 0, 1, -1, 1, 0, 1 }, r.AsSpan<long>().ToArray());
        // int32 base with float exponent: pow in float64, truncated.
        var f = PowMod.Pow(I32(2, 9, -8), Tensor.FromArray(new[] { 0.5f, 0.5f, 1f / 3 }, 3));
        Assert.Equal(DType.Int32, f.DType);
        Assert.Equal(new[] { 1, 3, 0 }, f.AsSpan<int>().ToArray());
    }

    [Fact]
    public void Pow_Int64_MatchesOrt()
    {
        var x = Tensor.FromArray(new long[] { 1, 2, 3, -4, 7 }, 5);
        var y = Tensor.FromArray(new long[] { 4, 10, 3, 3, 2 }, 5);
        OrtParity.AssertIdentical("Pow", 15, [Fed("x", x), Fed("y", y)], [DType.Int64]);
    }

    [Fact]
    public void AddMul_Overflow_WrapsAsOrt()
    {
        var a = Tensor.FromArray(new sbyte[] { 127, -128, 100, -100 }, 4);
        var b = Tensor.FromArray(new sbyte[] { 1, -1, 100, 3 }, 4);
        var add = OrtParity.AssertIdentical("Add", 14, [Fed("a", a), Fed("b", b)], [DType.Int8]);
        Assert.Equal(new sbyte[] { -128, 127, -56, -97 }, add[0].AsSpan<sbyte>().ToArray());
        var mul = OrtParity.AssertIdentical("Mul", 14, [Fed("a", a), Fed("b", b)], [DType.Int8]);
        Assert.Equal(new sbyte[] { 127, -128, 16, -44 }, mul[0].AsSpan<sbyte>().ToArray());
    }

    [Fact]
    public void AbsNeg_MinValue_Wraps()
    {
        var x = Tensor.FromArray(new sbyte[] { -128, -5, 0, 7 }, 4);
        Assert.Equal(new sbyte[] { -128, 5, 0, 7 }, UnaryMath.Abs(x).AsSpan<sbyte>().ToArray());
        Assert.Equal(new sbyte[] { -128, 5, 0, -7 }, UnaryMath.Neg(x).AsSpan<sbyte>().ToArray());
        Assert.Equal(new sbyte[] { -1, -1, 0, 1 }, UnaryMath.Sign(x).AsSpan<sbyte>().ToArray());
    }

    [Fact]
    public void BitShift_BeyondWidth_GivesZero()
    {
        var x = Tensor.FromArray(new byte[] { 1, 255, 16, 3 }, 4);
        var s = Tensor.FromArray(new byte[] { 7, 1, 8, 200 }, 4);
        Assert.Equal(new byte[] { 128, 254, 0, 0 }, Logical.BitShift(x, s, "LEFT").AsSpan<byte>().ToArray());
        Assert.Equal(new byte[] { 0, 127, 0, 0 }, Logical.BitShift(x, s, "RIGHT").AsSpan<byte>().ToArray());
    }

    [Fact]
    public void ReduceMean_Int32_TruncatesAndArgMaxSelectsLast()
    {
        var x = Tensor.FromArray(new[] { 1, 2, 4, 4, -7, 0 }, 2, 3);
        Assert.Equal(new[] { 2, -1 }, Reductions.ReduceMean(x, Tensor.FromArray(new long[] { 1 }, 1), keepdims: 0).AsSpan<int>().ToArray());
        Assert.Equal(new long[] { 1, 0, 0 }, ArgCum.ArgMax(x, axis: 0, keepdims: 0).AsSpan<long>().ToArray());
        Assert.Equal(new long[] { 2, 1 }, ArgCum.ArgMax(Tensor.FromArray(new[] { 1, 4, 4, 4, 4, 0 }, 2, 3), axis: 1, keepdims: 0, select_last_index: 1).AsSpan<long>().ToArray());
    }

    [Fact]
    public void CumSum_Int64_ExclusiveReverse()
    {
        var x = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var axis = Tensor.Scalar(1L);
        Assert.Equal(new long[] { 5, 3, 0, 11, 6, 0 }, ArgCum.CumSum(x, axis, exclusive: 1, reverse: 1).AsSpan<long>().ToArray());
        Assert.Equal(new long[] { 1, 2, 3, 5, 7, 9 }, ArgCum.CumSum(x, Tensor.Scalar(0L)).AsSpan<long>().ToArray());
    }
}
