using System.Buffers.Binary;

namespace LowBit.Tensors;

/// <summary>Element conversions between storage types. Slow generic paths: for op glue and tests, not hot loops.</summary>
public sealed partial class Tensor
{
    /// <summary>Element <paramref name="i"/> as double (bool → 0/1, 4-bit types unpacked, float8 decoded).</summary>
    public double GetDouble(int i) => DType switch
    {
        DType.Float32 => ((float[])Data)[i],
        DType.Float64 => ((double[])Data)[i],
        DType.Float16 => (double)((Half[])Data)[i],
        DType.BFloat16 => BFloat16Bits.ToFloat(((ushort[])Data)[i]),
        DType.Int8 => ((sbyte[])Data)[i],
        DType.UInt8 => ((byte[])Data)[i],
        DType.Int16 => ((short[])Data)[i],
        DType.UInt16 => ((ushort[])Data)[i],
        DType.Int32 => ((int[])Data)[i],
        DType.UInt32 => ((uint[])Data)[i],
        DType.Int64 => ((long[])Data)[i],
        DType.UInt64 => ((ulong[])Data)[i],
        DType.Bool => ((bool[])Data)[i] ? 1 : 0,
        DType.Int4 => Int4Packing.GetSigned((byte[])Data, i),
        DType.UInt4 => Int4Packing.GetUnsigned((byte[])Data, i),
        DType.String => double.Parse(((string[])Data)[i], System.Globalization.CultureInfo.InvariantCulture),
        _ => Float8.ToFloat(DType, ((byte[])Data)[i]),
    };

    /// <summary>Element <paramref name="i"/> as long (exact for integer types; floats truncate toward zero).</summary>
    public long GetInt64(int i) => DType switch
    {
        DType.Int64 => ((long[])Data)[i],
        DType.Int32 => ((int[])Data)[i],
        DType.UInt64 => (long)((ulong[])Data)[i],
        _ => (long)GetDouble(i),
    };

    /// <summary>All elements as int64 (shape and index inputs accept int32 or int64).</summary>
    public long[] ToInt64Array()
    {
        var r = new long[Length];
        for (int i = 0; i < r.Length; i++) r[i] = GetInt64(i);
        return r;
    }

    /// <summary>All elements as float32 (a copy).</summary>
    public float[] ToFloatArray()
    {
        var r = new float[Length];
        if (DType == DType.Float32) AsSpan<float>().CopyTo(r);
        else for (int i = 0; i < r.Length; i++) r[i] = (float)GetDouble(i);
        return r;
    }

    /// <summary>All elements as float64 (a copy).</summary>
    public double[] ToDoubleArray()
    {
        var r = new double[Length];
        for (int i = 0; i < r.Length; i++) r[i] = GetDouble(i);
        return r;
    }

    /// <summary>Sets element <paramref name="i"/> from a double with C-style conversion
    /// (integers: truncation toward zero, wrapping like a C cast for out-of-range values is not attempted: values are clamped).</summary>
    public void SetDouble(int i, double v)
    {
        switch (DType)
        {
            case DType.Float32: ((float[])Data)[i] = (float)v; break;
            case DType.Float64: ((double[])Data)[i] = v; break;
            case DType.Float16: ((Half[])Data)[i] = (Half)v; break;
            case DType.BFloat16: ((ushort[])Data)[i] = BFloat16Bits.FromFloat((float)v); break;
            case DType.Int8: ((sbyte[])Data)[i] = (sbyte)Math.Clamp(Math.Truncate(v), sbyte.MinValue, sbyte.MaxValue); break;
            case DType.UInt8: ((byte[])Data)[i] = (byte)Math.Clamp(Math.Truncate(v), byte.MinValue, byte.MaxValue); break;
            case DType.Int16: ((short[])Data)[i] = (short)Math.Clamp(Math.Truncate(v), short.MinValue, short.MaxValue); break;
            case DType.UInt16: ((ushort[])Data)[i] = (ushort)Math.Clamp(Math.Truncate(v), ushort.MinValue, ushort.MaxValue); break;
            case DType.Int32: ((int[])Data)[i] = (int)Math.Clamp(Math.Truncate(v), int.MinValue, int.MaxValue); break;
            case DType.UInt32: ((uint[])Data)[i] = (uint)Math.Clamp(Math.Truncate(v), uint.MinValue, uint.MaxValue); break;
            case DType.Int64: ((long[])Data)[i] = double.IsNaN(v) ? long.MinValue : (long)Math.Truncate(v); break;
            case DType.UInt64: ((ulong[])Data)[i] = (ulong)Math.Max(0, Math.Truncate(v)); break;
            case DType.Bool: ((bool[])Data)[i] = v != 0; break;
            case DType.Int4: Int4Packing.Set((byte[])Data, i, (int)Math.Clamp(Math.Truncate(v), -8, 7)); break;
            case DType.UInt4: Int4Packing.Set((byte[])Data, i, (int)Math.Clamp(Math.Truncate(v), 0, 15)); break;
            case DType.String: ((string[])Data)[i] = v.ToString("R", System.Globalization.CultureInfo.InvariantCulture); break;
            default: ((byte[])Data)[i] = Float8.FromFloat(DType, (float)v, saturate: true); break;
        }
    }

    /// <summary>A new float32 tensor with the same shape (copies even when already float32).</summary>
    public Tensor ToFloat32()
    {
        var t = Empty(DType.Float32, Shape);
        var dst = t.AsSpan<float>();
        switch (DType)
        {
            case DType.Float32: AsSpan<float>().CopyTo(dst); break;
            case DType.Float16: System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(AsSpan<Half>(), dst); break;
            default: for (int i = 0; i < Length; i++) dst[i] = (float)GetDouble(i); break;
        }
        return t;
    }
}

/// <summary>bfloat16 = the upper 16 bits of an IEEE float32; conversion rounds to nearest even, NaN stays NaN.</summary>
public static class BFloat16Bits
{
    public static float ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    public static ushort FromFloat(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((u >> 16) | 0x40);
        uint rounding = 0x7FFF + ((u >> 16) & 1);
        return (ushort)((u + rounding) >> 16);
    }
}

/// <summary>
/// 4-bit integers packed two per byte (ONNX): element 2k in bits 0–3 of byte k, element 2k+1 in bits 4–7.
/// <code>byte k:  [ hi nibble: elem 2k+1 | lo nibble: elem 2k ]</code>
/// </summary>
public static class Int4Packing
{
    public static int GetUnsigned(byte[] packed, int i) => (packed[i >> 1] >> ((i & 1) * 4)) & 0xF;
    public static int GetSigned(byte[] packed, int i) => (GetUnsigned(packed, i) ^ 8) - 8;

    public static void Set(byte[] packed, int i, int value)
    {
        int shift = (i & 1) * 4;
        packed[i >> 1] = (byte)((packed[i >> 1] & ~(0xF << shift)) | ((value & 0xF) << shift));
    }
}

/// <summary>
/// 8-bit floats (OCP/ONNX). E4M3FN: 1 sign, 4 exponent (bias 7), 3 mantissa, no infinities, NaN = S.1111.111, max 448.
/// E4M3FNUZ: bias 8, NaN = 0x80 only, no −0, max 240. E5M2: bias 15, IEEE-like with infinities, max 57344.
/// E5M2FNUZ: bias 16, NaN = 0x80, max 57344. Float4 E2M1: 1 sign, 2 exponent (bias 1), 1 mantissa, max 6.
/// </summary>
public static class Float8
{
    private static (int expBits, int manBits, int bias, bool fnuz, bool ieeeInf) Layout(DType t) => t switch
    {
        DType.Float8E4M3FN => (4, 3, 7, false, false),
        DType.Float8E4M3FNUZ => (4, 3, 8, true, false),
        DType.Float8E5M2 => (5, 2, 15, false, true),
        DType.Float8E5M2FNUZ => (5, 2, 16, true, false),
        DType.Float4E2M1 => (2, 1, 1, false, false),
        _ => throw new NotSupportedException($"{t} is not a small float type"),
    };

    public static float ToFloat(DType t, byte bits)
    {
        var (e, m, bias, fnuz, inf) = Layout(t);
        int total = 1 + e + m;
        bits &= (byte)((1 << total) - 1);
        bool neg = (bits >> (total - 1)) != 0;
        int exp = (bits >> m) & ((1 << e) - 1);
        int man = bits & ((1 << m) - 1);
        if (fnuz && bits == 1 << (total - 1)) return float.NaN;
        if (t == DType.Float8E4M3FN && exp == 15 && man == 7) return float.NaN;
        if (inf && exp == (1 << e) - 1) return man == 0 ? (neg ? float.NegativeInfinity : float.PositiveInfinity) : float.NaN;
        double v = exp == 0 ? man * Math.Pow(2, 1 - bias - m) : (1 + man / (double)(1 << m)) * Math.Pow(2, exp - bias);
        return (float)(neg ? -v : v);
    }

    /// <summary>Round to nearest even; with <paramref name="saturate"/> out-of-range values clamp to ±max
    /// (as ONNX Cast/QuantizeLinear with saturate=1), otherwise they become Inf (E5M2) or NaN.</summary>
    public static byte FromFloat(DType t, float f, bool saturate)
    {
        var (e, m, bias, fnuz, inf) = Layout(t);
        int total = 1 + e + m;
        byte signBit = (byte)(1 << (total - 1));
        if (float.IsNaN(f)) return fnuz ? signBit : t == DType.Float4E2M1 ? (byte)0x7 : (byte)((1 << (total - 1)) - 1);
        bool neg = f < 0 || (f == 0 && float.IsNegative(f));
        double a = Math.Abs((double)f);
        // Enumerate the non-negative codes in increasing order and pick the nearest (ties to even code).
        int maxCode = MaxFiniteCode(t);
        double maxVal = ToFloat(t, (byte)maxCode);
        byte code;
        if (a > maxVal)
        {
            if (saturate || t == DType.Float4E2M1) code = (byte)maxCode;
            else if (inf) code = (byte)(((1 << e) - 1) << m);
            else return fnuz ? signBit : (byte)(neg ? signBit | ((1 << (total - 1)) - 1) : (1 << (total - 1)) - 1);
            if (float.IsInfinity(f) && saturate) code = (byte)maxCode;
        }
        else
        {
            code = 0;
            double best = double.MaxValue;
            for (int c = 0; c <= maxCode; c++)
            {
                double d = Math.Abs(ToFloat(t, (byte)c) - a);
                if (d < best || (d == best && (c & 1) == 0)) { best = d; code = (byte)c; }
            }
        }
        if (neg && !(fnuz && code == 0)) code |= signBit;
        return code;
    }

    private static int MaxFiniteCode(DType t) => t switch
    {
        DType.Float8E4M3FN => 0x7E,
        DType.Float8E4M3FNUZ => 0x7F,
        DType.Float8E5M2 => 0x7B,
        DType.Float8E5M2FNUZ => 0x7F,
        _ => 0x7,
    };
}
