namespace LowBit.Tensors;

/// <summary>
/// Fast float8 conversion tables. Decoding is one lookup in the 256 decoded values. Encoding finds, by binary search
/// over the non-negative finite codes 0..max (whose values increase with the code), the nearest code with ties to the
/// even code, which is <see cref="Float8.FromFloat"/>'s rule; NaN and values beyond the largest finite value are
/// delegated to <see cref="Float8.FromFloat"/> (saturation rules).
/// </summary>
internal sealed class Float8Codec
{
    private static readonly Float8Codec?[] cache = new Float8Codec?[32];

    public float[] Decode { get; } = new float[256];
    private readonly float[] positive;
    private readonly DType type;
    private readonly byte signBit = 0x80;
    private readonly bool fnuz;

    private Float8Codec(DType t)
    {
        type = t;
        for (int c = 0; c < 256; c++) Decode[c] = Float8.ToFloat(t, (byte)c);
        int max = t switch { DType.Float8E4M3FN => 0x7E, DType.Float8E5M2 => 0x7B, _ => 0x7F };
        positive = Decode[..(max + 1)];
        fnuz = t is DType.Float8E4M3FNUZ or DType.Float8E5M2FNUZ;
    }

    public static Float8Codec For(DType t) => cache[(int)t] ??= new Float8Codec(t);

    public byte Encode(float f, bool saturate)
    {
        float a = MathF.Abs(f);
        if (!(a <= positive[^1])) return Float8.FromFloat(type, f, saturate);
        // Largest code lo with value ≤ a.
        int lo = 0, hi = positive.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (positive[mid] <= a) lo = mid; else hi = mid - 1;
        }
        int code = lo;
        if (lo + 1 < positive.Length)
        {
            double below = (double)a - positive[lo], above = (double)positive[lo + 1] - a;
            if (above < below || (above == below && (lo & 1) == 1)) code = lo + 1;
        }
        bool negative = f < 0 || (f == 0 && float.IsNegative(f));
        if (negative && !(fnuz && code == 0)) code |= signBit;
        return (byte)code;
    }
}
