using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// float → float8/float4 code, bit-identical to <see cref="Float8.FromFloat"/> but by binary search over the
/// non-negative codes (which increase with their value in every small-float layout) instead of a scan: nearest value,
/// ties to the even code. NaN, ±Inf and out-of-range values defer to <see cref="Float8.FromFloat"/>.
/// </summary>
internal sealed class SmallFloatEncoder
{
    private static readonly SmallFloatEncoder?[] cache = new SmallFloatEncoder?[32];
    private readonly DType type;
    private readonly float[] values;
    private readonly int signBit;
    private readonly bool fnuz;

    private SmallFloatEncoder(DType t)
    {
        type = t;
        int top = t == DType.Float4E2M1 ? 0x7 : 0x7F;
        var v = new List<float>();
        for (int c = 0; c <= top; c++)
        {
            float f = Float8.ToFloat(t, (byte)c);
            if (!float.IsFinite(f)) break;
            v.Add(f);
        }
        values = v.ToArray();
        signBit = t == DType.Float4E2M1 ? 0x8 : 0x80;
        fnuz = t is DType.Float8E4M3FNUZ or DType.Float8E5M2FNUZ;
    }

    public static SmallFloatEncoder For(DType t) => cache[(int)t] ??= new SmallFloatEncoder(t);

    public byte Encode(float f, bool saturate)
    {
        float a = MathF.Abs(f);
        if (!(a <= values[^1])) return Float8.FromFloat(type, f, saturate);
        int lo = 0, hi = values.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (values[mid] <= a) lo = mid; else hi = mid - 1;
        }
        int c = lo;
        if (c + 1 < values.Length)
        {
            double below = (double)a - values[c], above = values[c + 1] - (double)a;
            if (above < below || (above == below && ((c + 1) & 1) == 0)) c++;
        }
        bool neg = f < 0 || (f == 0 && float.IsNegative(f));
        if (neg && !(fnuz && c == 0)) c |= signBit;
        return (byte)c;
    }
}
