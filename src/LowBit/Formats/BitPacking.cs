namespace LowBit.Formats;

/// <summary>
/// Packs integer codes of b = 1–8 bits into bytes at their width (true sub-byte storage for int2/int3/int5–7).
/// <para><b>Layout.</b> The codes form one little-endian bit stream: code i occupies stream bits [i·b, (i+1)·b), least
/// significant bit first, and stream bit k is bit (k mod 8) of byte ⌊k/8⌋. For b = 1, 2, 4, 8 codes never straddle a
/// byte (b = 4 is exactly ONNX's int4 nibble order, element 2k in the low nibble of byte k); for b = 3, 5, 6, 7 a code may
/// span two consecutive bytes, its low bits in the high bits of the first. The stream is zero-padded to a whole byte, so
/// n codes take ⌈n·b/8⌉ bytes. Every 8 codes occupy exactly b bytes, so the stream is a sequence of b-byte groups with
/// the same layout in each (the ONNX unpack subgraph relies on this, see <c>PackedCodes</c>).</para>
/// <para><b>Signed codes</b> q ∈ [−2^(b−1), 2^(b−1) − 1] are stored <i>offset binary</i>, as the unsigned field
/// u = q + 2^(b−1) (int3: −4 ↦ 000, 0 ↦ 100, 3 ↦ 111). Offset rather than two's complement because ONNX's BitShift and
/// the arithmetic that extracts fields are unsigned, so restoring q from u is one subtraction, while two's complement
/// needs a sign extension; the offset field also sorts like q. Unsigned codes are stored as themselves.</para>
/// Example, b = 3 unsigned, codes [5, 3, 7]: stream bits 101 ‖ 110 ‖ 111 (LSB first) → byte 0 = 0b11_011_101 = 0xDD,
/// byte 1 = 0b0000000_1 = 0x01.
/// </summary>
internal static class BitPacking
{
    /// <summary>Bytes that <paramref name="count"/> codes of <paramref name="bits"/> bits occupy: ⌈count·bits/8⌉.</summary>
    public static int PackedLength(int count, int bits)
    {
        CheckBits(bits);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return checked((int)(((long)count * bits + 7) / 8));
    }

    /// <summary>The packed bytes of <paramref name="codes"/> (see the class comment for the layout).</summary>
    public static byte[] Pack(ReadOnlySpan<int> codes, int bits, bool signed)
    {
        var r = new byte[PackedLength(codes.Length, bits)];
        Pack(codes, bits, signed, r);
        return r;
    }

    /// <summary>Writes the first ⌈n·b/8⌉ bytes of <paramref name="packed"/>; codes outside the b-bit range throw
    /// <see cref="OverflowException"/>.</summary>
    public static void Pack(ReadOnlySpan<int> codes, int bits, bool signed, Span<byte> packed)
    {
        int length = PackedLength(codes.Length, bits);
        if (packed.Length < length) throw new ArgumentException($"{codes.Length} {bits}-bit codes need {length} bytes, got {packed.Length}");
        var (lo, offset) = Range(bits, signed);
        int hi = lo + (1 << bits) - 1;
        // acc holds the not-yet-written stream bits (< 8 + b ≤ 16 of them) starting at bit 0.
        uint acc = 0;
        int held = 0, o = 0;
        foreach (int c in codes)
        {
            if (c < lo || c > hi) throw new OverflowException($"code {c} does not fit {(signed ? "int" : "uint")}{bits} [{lo}, {hi}]");
            acc |= (uint)(c + offset) << held;
            held += bits;
            while (held >= 8)
            {
                packed[o++] = (byte)acc;
                acc >>= 8;
                held -= 8;
            }
        }
        if (held > 0) packed[o] = (byte)acc;  // the tail's high bits are 0
    }

    /// <summary>The first <paramref name="count"/> codes held in <paramref name="packed"/>.</summary>
    public static int[] Unpack(ReadOnlySpan<byte> packed, int bits, bool signed, int count)
    {
        var r = new int[count];
        Unpack(packed, bits, signed, r);
        return r;
    }

    /// <summary>Fills <paramref name="codes"/> from <paramref name="packed"/> (the inverse of <see cref="Pack(ReadOnlySpan{int}, int, bool, Span{byte})"/>).</summary>
    public static void Unpack(ReadOnlySpan<byte> packed, int bits, bool signed, Span<int> codes)
    {
        int length = PackedLength(codes.Length, bits);
        if (packed.Length < length) throw new ArgumentException($"{codes.Length} {bits}-bit codes need {length} bytes, got {packed.Length}");
        int offset = Range(bits, signed).Offset;
        uint mask = (1u << bits) - 1;
        uint acc = 0;
        int held = 0, p = 0;
        for (int i = 0; i < codes.Length; i++)
        {
            while (held < bits)
            {
                acc |= (uint)packed[p++] << held;
                held += 8;
            }
            codes[i] = (int)(acc & mask) - offset;
            acc >>= bits;
            held -= bits;
        }
    }

    /// <summary>Smallest code and the offset added before storing (2^(b−1) for signed codes, 0 for unsigned).</summary>
    internal static (int Min, int Offset) Range(int bits, bool signed)
    {
        CheckBits(bits);
        int offset = signed ? 1 << (bits - 1) : 0;
        return (-offset, offset);
    }

    private static void CheckBits(int bits)
    {
        if (bits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "packed codes have 1–8 bits");
    }
}
