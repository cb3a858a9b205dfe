using LowBit.Formats;
using LowBit.Quantization.Rounding;
using LowBit.Tensors;

namespace LowBit.Tests.Formats;

public class IntTests
{
    [Theory]
    [InlineData(8, true, false, "int8", -128, 127, DType.Int8)]
    [InlineData(8, true, true, "int8-narrow", -127, 127, DType.Int8)]
    [InlineData(8, false, false, "uint8", 0, 255, DType.UInt8)]
    [InlineData(4, true, false, "int4", -8, 7, DType.Int4)]
    [InlineData(4, false, false, "uint4", 0, 15, DType.UInt4)]
    [InlineData(3, true, false, "int3", -4, 3, DType.Int4)]
    [InlineData(2, true, false, "int2", -2, 1, DType.Int4)]
    [InlineData(2, true, true, "int2-narrow", -1, 1, DType.Int4)]
    [InlineData(2, false, false, "uint2", 0, 3, DType.UInt4)]
    [InlineData(5, true, false, "int5", -16, 15, DType.Int8)]
    [InlineData(7, false, false, "uint7", 0, 127, DType.UInt8)]
    [InlineData(16, true, false, "int16", -32768, 32767, DType.Int16)]
    [InlineData(16, false, false, "uint16", 0, 65535, DType.UInt16)]
    public void Constructor_Widths_GiveRangeNameAndStorage(int bits, bool signed, bool narrow, string name, int qmin, int qmax, DType storage)
    {
        var f = new IntFormat(bits, signed, narrow);
        Assert.Equal(name, f.Name);
        Assert.Equal((qmin, qmax), (f.Qmin, f.Qmax));
        Assert.Equal((qmin, qmax), f.IntegerRange);
        Assert.Equal(storage, f.OnnxType);
        Assert.Equal(bits, f.BitsPerWeight);
        Assert.Equal(signed, f.IsSigned);
        // the storage type holds the whole range
        Assert.True(bits <= storage.BitsPerElement());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(12)]
    [InlineData(32)]
    public void Constructor_UnsupportedWidth_Throws(int bits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntFormat(bits, signed: true));

    [Fact]
    public void Constructor_NarrowUnsigned_Throws() =>
        Assert.Throws<ArgumentException>(() => new IntFormat(8, signed: false, narrow: true));

    [Fact]
    public void Equals_SameParameters_AreEqual()
    {
        Assert.Equal(new IntFormat(8, true), new IntFormat(8, true));
        Assert.NotEqual(new IntFormat(8, true), new IntFormat(8, true, narrow: true));
        Assert.Equal(new IntFormat(4, false).GetHashCode(), new IntFormat(4, false).GetHashCode());
    }

    [Fact]
    public void Encode_RoundsBeforeAddingZeroPoint_AsOnnx()
    {
        var f = new IntFormat(8, signed: false);
        var codes = new int[6];
        // ties to even on x/s, then + z: round(2.5) + 1 = 3 (round(3.5) would give 4); −2.5 saturates at qmin.
        f.Encode([2.5f, 3.5f, -0.5f, 0.5f, 1.5f, -2.5f], 1, codes, Nearest.Instance, 0);
        Assert.Equal([3, 5, 1, 1, 3, 0], codes);
    }

    [Fact]
    public void Encode_NaN_GivesZeroPoint()
    {
        var f = new IntFormat(8, signed: false);
        var codes = new int[1];
        f.Encode([float.NaN], 77, codes, Nearest.Instance, 0);
        Assert.Equal(77, codes[0]);
    }

    [Fact]
    public void Encode_ZeroPointOutsideRange_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntFormat(4, true).Encode([0f], 8, new int[1], Nearest.Instance, 0));

    [Fact]
    public void Encode_LongSpan_PassesFlatIndicesToRounding()
    {
        var f = new IntFormat(8, signed: true);
        var x = Enumerable.Range(0, 1000).Select(i => 0.25f).ToArray();
        var rounding = new IndexParity();
        var codes = new int[x.Length];
        f.Encode(x, 0, codes, rounding, 5000);
        for (int i = 0; i < x.Length; i++) Assert.Equal((5000 + i) % 2, codes[i]);
    }

    [Fact]
    public void Decode_OutsideRange_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntFormat(8, true, narrow: true).Decode(-128));

    /// <summary>Rounds up at odd flat indices, down at even ones: shows the index reaches the rounding.</summary>
    private sealed class IndexParity : IRounding
    {
        public void Round(ReadOnlySpan<float> t, Span<int> result, int firstIndex)
        {
            for (int i = 0; i < t.Length; i++)
                result[i] = (firstIndex + i) % 2 == 1 ? (int)MathF.Ceiling(t[i]) : (int)MathF.Floor(t[i]);
        }
    }
}
