using LowBit.Onnx.Ops;
using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.NodeInput;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>Unique on the types and forms the backend node cases (float only) miss, compared exactly with ONNX Runtime.</summary>
public class UniqueTests
{
    [Theory]
    [InlineData(1L)]
    [InlineData(0L)]
    public void Unique_Strings_MatchesOrt(long sorted)
    {
        var x = Tensor.FromArray(new[] { "b", "a", "b", "", "c", "a", "B" }, 7);
        OrtParity.AssertIdentical("Unique", 11, [Fed("x", x)], [DType.String, DType.Int64, DType.Int64, DType.Int64], attrs: ("sorted", sorted));
    }

    [Theory]
    [InlineData(1L, 1L)]
    [InlineData(0L, 1L)]
    [InlineData(1L, -3L)]
    public void Unique_Int64SlicesAlongAxis_MatchesOrt(long sorted, long axis)
    {
        // Bits over [2, 9, 2]: a slice along axis 1 has 4 bits, so 9 slices repeat some of the 16 patterns.
        var x = RandomTensors.Ints(new Random(7), DType.Int64, 0, 1, 2, 9, 2);
        OrtParity.AssertIdentical("Unique", 11, [Fed("x", x)], [DType.Int64, DType.Int64, DType.Int64, DType.Int64],
            attrs: [("sorted", sorted), ("axis", axis)]);
    }

    [Fact]
    public void Unique_NotSorted_KeepsFirstOccurrenceOrder()
    {
        var r = UniqueOps.Unique(Tensor.FromArray(new long[] { 5, 1, 5, 3, 1 }, 5), sorted: 0);
        Assert.Equal(new long[] { 5, 1, 3 }, r[0]!.AsSpan<long>().ToArray());
        Assert.Equal(new long[] { 0, 1, 3 }, r[1]!.AsSpan<long>().ToArray());
        Assert.Equal(new long[] { 0, 1, 0, 2, 1 }, r[2]!.AsSpan<long>().ToArray());
        Assert.Equal(new long[] { 2, 2, 1 }, r[3]!.AsSpan<long>().ToArray());
    }
}
