using System.Numerics.Tensors;
using LowBit.Quantization.Rounding;
using LowBit.Tensors;

namespace LowBit.Formats;

/// <summary>
/// Integer formats of 2–8 or 16 bits: r = s·(q − z), q ∈ [qmin, qmax], z ∈ [qmin, qmax] an integer, so r = 0 is exact.
/// <list type="bullet">
/// <item>signed: [−2^(b−1), 2^(b−1) − 1]; narrow: [−(2^(b−1) − 1), 2^(b−1) − 1] (symmetric, qmin never produced,
/// e.g. int8-narrow = [−127, 127], which keeps −128·−128 out of int8×int8 products).</item>
/// <item>unsigned: [0, 2^b − 1].</item>
/// </list>
/// Bits per weight = b. Storage (ONNX element type): b ≤ 4 → int4/uint4, b ≤ 8 → int8/uint8, 16 → int16/uint16; widths
/// below the storage width keep the restricted range in a wider type (int3 is int4 limited to [−4, 3]).
/// 4-bit storage packs two codes per byte, element 2k in the low nibble of byte k, 2k+1 in the high nibble
/// (two's complement for int4): <c>byte k = [ q(2k+1) : bits 7..4 | q(2k) : bits 3..0 ]</c>.
/// </summary>
public sealed class IntFormat : INumberFormat
{
    private float[]? grid;

    public int Bits { get; }
    public bool IsSigned { get; }
    /// <summary>Signed formats only: qmin = −qmax.</summary>
    public bool IsNarrow { get; }
    public int Qmin { get; }
    public int Qmax { get; }

    public IntFormat(int bits, bool signed, bool narrow = false)
    {
        if (bits is not ((>= 2 and <= 8) or 16))
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "integer formats have 2–8 or 16 bits");
        if (narrow && !signed) throw new ArgumentException("narrow range applies to signed formats only", nameof(narrow));
        Bits = bits;
        IsSigned = signed;
        IsNarrow = narrow;
        Qmax = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        Qmin = signed ? (narrow ? -Qmax : -Qmax - 1) : 0;
    }

    public string Name => (IsSigned ? "int" : "uint") + Bits + (IsNarrow ? "-narrow" : "");
    public double BitsPerWeight => Bits;
    public (int Min, int Max)? IntegerRange => (Qmin, Qmax);

    public DType? OnnxType => (Bits, IsSigned) switch
    {
        ( <= 4, true) => DType.Int4,
        ( <= 4, false) => DType.UInt4,
        ( <= 8, true) => DType.Int8,
        ( <= 8, false) => DType.UInt8,
        (_, true) => DType.Int16,
        (_, false) => DType.UInt16,
    };

    public IReadOnlyList<float> Grid => grid ??= Enumerable.Range(Qmin, Qmax - Qmin + 1).Select(q => (float)q).ToArray();

    public void Encode(ReadOnlySpan<float> scaled, int zeroPoint, Span<int> codes, IRounding rounding, int firstIndex)
    {
        if (zeroPoint < Qmin || zeroPoint > Qmax)
            throw new ArgumentOutOfRangeException(nameof(zeroPoint), zeroPoint, $"{Name} zero point must lie in [{Qmin}, {Qmax}]");
        if (codes.Length < scaled.Length) throw new ArgumentException("codes is shorter than the input");
        // clamp(v, qmin − z, qmax − z) before rounding equals clamp after it (the bounds are integers and rounding is
        // monotone), and keeps the int conversion and the + z from overflowing. TensorPrimitives.Max/Min propagate NaN,
        // which rounding maps to 0, so NaN encodes as z.
        float lo = Qmin - zeroPoint, hi = Qmax - zeroPoint;
        Span<float> t = stackalloc float[256];
        for (int start = 0; start < scaled.Length; start += t.Length)
        {
            int n = Math.Min(t.Length, scaled.Length - start);
            var c = t[..n];
            TensorPrimitives.Max(scaled.Slice(start, n), lo, c);
            TensorPrimitives.Min(c, hi, c);
            var dst = codes.Slice(start, n);
            rounding.Round(c, dst, firstIndex + start);
            if (zeroPoint != 0) TensorPrimitives.Add(dst, zeroPoint, dst);
        }
    }

    public float Decode(int code)
    {
        if (code < Qmin || code > Qmax) throw new ArgumentOutOfRangeException(nameof(code), code, $"not a {Name} code");
        return code;
    }

    public override string ToString() => Name;
    public override bool Equals(object? obj) => obj is IntFormat o && o.Bits == Bits && o.IsSigned == IsSigned && o.IsNarrow == IsNarrow;
    public override int GetHashCode() => HashCode.Combine(Bits, IsSigned, IsNarrow);
}
