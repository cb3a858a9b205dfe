using LowBit.Formats;

namespace LowBit.Tests.Formats;

public class BitPackingTests
{
    public static TheoryData<int, bool, int> WidthsAndLengths()
    {
        var d = new TheoryData<int, bool, int>();
        for (int b = 1; b <= 8; b++)
            foreach (bool signed in new[] { false, true })
                foreach (int n in new[] { 0, 1, 7, 8, 9, 1001 })
                    d.Add(b, signed, n);
        return d;
    }

    /// <summary>Every code of the range appears (cycled), plus seeded random codes, so each bit position is exercised.</summary>
    private static int[] Codes(int bits, bool signed, int n, int seed)
    {
        int lo = signed ? -(1 << (bits - 1)) : 0, count = 1 << bits;
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i => i < 2 * count ? lo + i % count : lo + rng.Next(count)).ToArray();
    }

    [Theory, MemberData(nameof(WidthsAndLengths))]
    public void Pack_ThenUnpack_RoundTripsAndTakesCeilNBitsOver8Bytes(int bits, bool signed, int n)
    {
        var codes = Codes(bits, signed, n, bits * 31 + n);
        var packed = BitPacking.Pack(codes, bits, signed);
        Assert.Equal((n * bits + 7) / 8, packed.Length);
        Assert.Equal(codes, BitPacking.Unpack(packed, bits, signed, n));
        int tailBits = n * bits % 8;
        if (tailBits != 0) Assert.Equal(0, packed[^1] >> tailBits);  // zero padding
    }

    [Fact]
    public void Pack_Width3_StraddlesBytesLittleEndian()
    {
        // 5 = 101, 3 = 011, 7 = 111 at stream bits 0–2, 3–5, 6–8: byte 0 = 11·011·101, byte 1 = 0000000·1.
        Assert.Equal(new byte[] { 0xDD, 0x01 }, BitPacking.Pack([5, 3, 7], 3, signed: false));
    }

    [Fact]
    public void Pack_Width2_FourCodesPerByteLowFirst() =>
        Assert.Equal(new byte[] { 0b11_10_01_00, 0b01 }, BitPacking.Pack([0, 1, 2, 3, 1], 2, signed: false));

    [Fact]
    public void Pack_Width4_MatchesOnnxNibbleOrder() =>
        Assert.Equal(new byte[] { 0x21, 0x0F }, BitPacking.Pack([1, 2, 15], 4, signed: false));

    [Fact]
    public void Pack_Width1_EightCodesPerByte() =>
        Assert.Equal(new byte[] { 0b1000_0101, 0b1 }, BitPacking.Pack([1, 0, 1, 0, 0, 0, 0, 1, 1], 1, signed: false));

    [Fact]
    public void Pack_Width5Signed_OffsetBinaryStraddling()
    {
        // int5 offset 16: −16 ↦ 00000, 15 ↦ 11111, 0 ↦ 10000. Stream: 00000 ‖ 11111 ‖ 10000 (LSB first):
        // byte 0 = bits 0–7 = 111·00000 = 0xE0, byte 1 = bits 8–14 = 1000·0·11 → 0b0_10000_11 = 0x43.
        Assert.Equal(new byte[] { 0xE0, 0x43 }, BitPacking.Pack([-16, 15, 0], 5, signed: true));
    }

    [Fact]
    public void Pack_Width6And7_CodeSpansTwoBytes()
    {
        // uint6 [1, 63]: 000001 ‖ 111111 → byte 0 = 11·000001 = 0xC1, byte 1 = 0000·1111 = 0x0F.
        Assert.Equal(new byte[] { 0xC1, 0x0F }, BitPacking.Pack([1, 63], 6, signed: false));
        // uint7 [127, 2]: 1111111 ‖ 0000010 → byte 0 = 0·1111111 = 0x7F, byte 1 = 000000·01 = 0x01.
        Assert.Equal(new byte[] { 0x7F, 0x01 }, BitPacking.Pack([127, 2], 7, signed: false));
    }

    [Fact]
    public void Pack_Width8Signed_IsOffsetByte() =>
        Assert.Equal(new byte[] { 0x00, 0x80, 0xFF }, BitPacking.Pack([-128, 0, 127], 8, signed: true));

    [Theory]
    [InlineData(3, false, 8)]
    [InlineData(3, false, -1)]
    [InlineData(3, true, 4)]
    [InlineData(3, true, -5)]
    [InlineData(1, true, 1)]
    public void Pack_CodeOutsideWidth_Throws(int bits, bool signed, int code) =>
        Assert.Throws<OverflowException>(() => BitPacking.Pack([0, code], bits, signed));

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void Pack_WidthOutside1To8_Throws(int bits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPacking.Pack([0], bits, false));
}
