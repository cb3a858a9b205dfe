using LowBit.Formats;
using LowBit.Tensors;

namespace LowBit.Tests.Formats;

public class CodeStorageTests
{
    [Fact]
    public void ToTensor_Int4_PacksLowNibbleFirst()
    {
        var t = CodeStorage.ToTensor([1, -2, 7, -8, 3], DType.Int4, [5]);
        var bytes = t.AsSpan<byte>().ToArray();
        // byte k = [q(2k+1) : bits 7..4 | q(2k) : bits 3..0], two's complement nibbles; the odd tail nibble is 0.
        Assert.Equal(new byte[] { 0xE1, 0x87, 0x03 }, bytes);
        Assert.Equal([1, -2, 7, -8, 3], CodeStorage.FromTensor(t));
    }

    [Fact]
    public void ToTensor_UInt4_PacksLowNibbleFirst()
    {
        var t = CodeStorage.ToTensor([15, 0, 9, 4], DType.UInt4, [2, 2]);
        Assert.Equal(new byte[] { 0x0F, 0x49 }, t.AsSpan<byte>().ToArray());
        Assert.Equal([15, 0, 9, 4], CodeStorage.FromTensor(t));
    }

    [Theory]
    [InlineData(DType.Int8, -128, 127)]
    [InlineData(DType.UInt8, 0, 255)]
    [InlineData(DType.Int16, -32768, 32767)]
    [InlineData(DType.UInt16, 0, 65535)]
    [InlineData(DType.Int4, -8, 7)]
    [InlineData(DType.UInt4, 0, 15)]
    public void ToTensor_TypeRange_RoundTrips(DType dtype, int lo, int hi)
    {
        int[] codes = [lo, hi, (lo + hi) / 2, lo + 1];
        var t = CodeStorage.ToTensor(codes, dtype, [4]);
        Assert.Equal(dtype, t.DType);
        Assert.Equal(codes, CodeStorage.FromTensor(t));
        for (int i = 0; i < codes.Length; i++) Assert.Equal(codes[i], t.GetDouble(i));
    }

    [Theory]
    [InlineData(DType.Int8, 128)]
    [InlineData(DType.UInt8, -1)]
    [InlineData(DType.Int4, 8)]
    [InlineData(DType.UInt4, 16)]
    public void ToTensor_CodeOutsideType_Throws(DType dtype, int code) =>
        Assert.Throws<OverflowException>(() => CodeStorage.ToTensor([code], dtype, [1]));

    [Fact]
    public void ToTensor_WrongCount_Throws() =>
        Assert.Throws<ArgumentException>(() => CodeStorage.ToTensor([1, 2, 3], DType.Int8, [2, 2]));
}
