using System.Globalization;
using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Tensors;

/// <summary>
/// Element type conversion (the ONNX Cast semantics). Between primitive numeric types: C-style (float → int truncates
/// toward zero and saturates at the type's range, NaN → 0; int → narrower int wraps; double → float16 rounds once).
/// bool: nonzero (and NaN) → true. bfloat16, float8 and 4-bit types go through float32 (float8 saturating or not).
/// Strings parse invariant decimal numbers, with NaN, INF, -INF, and print the shortest round-trip decimal (see Format).
/// </summary>
internal static partial class Elementwise
{
    public static Tensor Cast(Tensor x, DType to, bool saturate = true)
    {
        if (x.DType == to) return x;
        if (x.DType == DType.String) return FromStrings(x, to);
        if (to == DType.String) return ToStrings(x);
        if (IsPrimitive(x.DType) && IsPrimitive(to)) return CastPrimitive(x, to);
        if (to == DType.Bool) return NonZero(x);
        // Everything else has a float32 hop: bfloat16, float8, float4, int4, bool → number.
        if (x.DType == DType.Bool || x.DType.IsPacked4() || x.DType == DType.BFloat16 || IsFloat8(x.DType))
        {
            var f = DecodeToFloat32(x);
            var r = to == DType.Float32 ? f : Cast(f, to, saturate);
            if (!ReferenceEquals(r, f)) Release(f);
            return r;
        }
        // x is primitive here; the target is bfloat16, float8 or 4-bit.
        var src = x.DType == DType.Float32 ? x : CastPrimitive(x, DType.Float32);
        var result = EncodeFromFloat32(src, to, saturate);
        Release(src, x);
        return result;
    }

    private static bool IsPrimitive(DType t) => t is DType.Float32 or DType.Float64 or DType.Float16 or DType.Int8 or DType.UInt8
        or DType.Int16 or DType.UInt16 or DType.Int32 or DType.UInt32 or DType.Int64 or DType.UInt64;

    private static bool IsFloat8(DType t) => t is DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2 or DType.Float8E5M2FNUZ;

    private static Tensor CastPrimitive(Tensor x, DType to) => x.DType switch
    {
        DType.Float32 => CastFrom<float>(x, to),
        DType.Float64 => CastFrom<double>(x, to),
        DType.Float16 => CastFrom<Half>(x, to),
        DType.Int8 => CastFrom<sbyte>(x, to),
        DType.UInt8 => CastFrom<byte>(x, to),
        DType.Int16 => CastFrom<short>(x, to),
        DType.UInt16 => CastFrom<ushort>(x, to),
        DType.Int32 => CastFrom<int>(x, to),
        DType.UInt32 => CastFrom<uint>(x, to),
        DType.Int64 => CastFrom<long>(x, to),
        _ => CastFrom<ulong>(x, to),
    };

    private static Tensor CastFrom<TFrom>(Tensor x, DType to) where TFrom : unmanaged, INumberBase<TFrom> => to switch
    {
        DType.Float32 => Convert<TFrom, float>(x, to),
        DType.Float64 => Convert<TFrom, double>(x, to),
        DType.Float16 => Convert<TFrom, Half>(x, to),
        DType.Int8 => Convert<TFrom, sbyte>(x, to),
        DType.UInt8 => Convert<TFrom, byte>(x, to),
        DType.Int16 => Convert<TFrom, short>(x, to),
        DType.UInt16 => Convert<TFrom, ushort>(x, to),
        DType.Int32 => Convert<TFrom, int>(x, to),
        DType.UInt32 => Convert<TFrom, uint>(x, to),
        DType.Int64 => Convert<TFrom, long>(x, to),
        _ => Convert<TFrom, ulong>(x, to),
    };

    private static Tensor Convert<TFrom, TTo>(Tensor x, DType to) where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo>
    {
        var r = Tensor.Empty(to, x.Shape);
        var src = (TFrom[])x.Data;
        var dst = (TTo[])r.Data;
        Split(x.Length, (s, e) => TP.ConvertTruncating<TFrom, TTo>(src.AsSpan(s, e - s), dst.AsSpan(s, e - s)));
        return r;
    }

    private static Tensor NonZero(Tensor x)
    {
        var r = Tensor.Empty(DType.Bool, x.Shape);
        var d = r.AsSpan<bool>();
        switch (x.DType)
        {
            case DType.Float32: { var s = x.AsReadOnlySpan<float>(); for (int i = 0; i < d.Length; i++) d[i] = s[i] != 0; break; }
            case DType.Float64: { var s = x.AsReadOnlySpan<double>(); for (int i = 0; i < d.Length; i++) d[i] = s[i] != 0; break; }
            default: for (int i = 0; i < d.Length; i++) { double v = x.GetDouble(i); d[i] = v != 0; } break;
        }
        return r;
    }

    /// <summary>float32 values of a bool, bfloat16, float8 or 4-bit tensor (float8 decoded through a 256-entry table).</summary>
    private static Tensor DecodeToFloat32(Tensor x)
    {
        if (x.DType == DType.BFloat16) return ToFloat32(x);
        var r = Tensor.Empty(DType.Float32, x.Shape);
        var d = r.AsSpan<float>();
        if (IsFloat8(x.DType))
        {
            var table = Float8Codec.For(x.DType).Decode;
            var s = x.AsReadOnlySpan<byte>();
            for (int i = 0; i < d.Length; i++) d[i] = table[s[i]];
        }
        else for (int i = 0; i < d.Length; i++) d[i] = (float)x.GetDouble(i);
        return r;
    }

    /// <summary>float32 → bfloat16 (nearest even), float8 (nearest even; saturating or not), int4/uint4 (round half to
    /// even, then clamp to the range), float4 e2m1 (nearest even, saturating).</summary>
    private static Tensor EncodeFromFloat32(Tensor f, DType to, bool saturate)
    {
        var r = Tensor.Empty(to, f.Shape);
        var s = f.AsReadOnlySpan<float>();
        if (to == DType.BFloat16)
        {
            SingleToBFloat16(s, r.AsSpan<ushort>());
            return r;
        }
        if (IsFloat8(to))
        {
            var codec = Float8Codec.For(to);
            var d = r.AsSpan<byte>();
            for (int i = 0; i < s.Length; i++) d[i] = codec.Encode(s[i], saturate);
            return r;
        }
        if (to.IsPacked4())
        {
            var d = (byte[])r.Data;
            for (int i = 0; i < s.Length; i++)
            {
                int code = to switch
                {
                    DType.Int4 => (int)Math.Clamp(MathF.Round(float.IsNaN(s[i]) ? 0 : s[i]), -8, 7),
                    DType.UInt4 => (int)Math.Clamp(MathF.Round(float.IsNaN(s[i]) ? 0 : s[i]), 0, 15),
                    _ => Float8.FromFloat(DType.Float4E2M1, s[i], saturate: true),
                };
                Int4Packing.Set(d, i, code);
            }
            return r;
        }
        throw new NotSupportedException($"cannot cast to {to.Name()}");
    }

    private static Tensor ToStrings(Tensor x)
    {
        var r = new string[x.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = x.DType switch
            {
                DType.Float32 => Format(x.AsReadOnlySpan<float>()[i]),
                DType.Float64 => Format(x.AsReadOnlySpan<double>()[i]),
                DType.Int64 => x.AsReadOnlySpan<long>()[i].ToString(CultureInfo.InvariantCulture),
                DType.UInt64 => x.AsReadOnlySpan<ulong>()[i].ToString(CultureInfo.InvariantCulture),
                DType.Bool => x.AsReadOnlySpan<bool>()[i] ? "1" : "0",
                _ when x.DType.IsFloat() => Format((float)x.GetDouble(i)),
                _ => ((long)x.GetDouble(i)).ToString(CultureInfo.InvariantCulture),
            };
        }
        return Tensor.FromArray(r, x.Shape);
    }

    /// <summary>Shortest decimal that parses back to the same value in the source precision (float32 for float32 and
    /// narrower types, float64 for float64), exponent as C prints it ("1e-05"): what numpy's str gives and the ONNX
    /// backend cases expect. ONNX Runtime 1.31 prints C's %.8g instead ("0.60484552" for 0.6048455f), so it fails
    /// test_cast_FLOAT_to_STRING; integers and bools print the same in both.</summary>
    private static string Format(double v) => SpecialName(v) ?? v.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');

    private static string Format(float v) => SpecialName(v) ?? v.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');

    private static string? SpecialName(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "INF" : double.IsNegativeInfinity(v) ? "-INF" : null;

    private static Tensor FromStrings(Tensor x, DType to)
    {
        var s = x.AsReadOnlySpan<string>();
        if (to == DType.Bool)
        {
            var b = new bool[s.Length];
            for (int i = 0; i < b.Length; i++) b[i] = s[i].Trim() is var t && (t.Equals("true", StringComparison.OrdinalIgnoreCase) || (ParseNumber(t) is var v && v != 0));
            return Tensor.FromArray(b, x.Shape);
        }
        if (to is DType.Int64 or DType.Int32 or DType.Int16 or DType.Int8 or DType.UInt8 or DType.UInt16 or DType.UInt32 or DType.UInt64)
        {
            // Integers parse exactly (int64 beyond 2^53 would lose digits through double).
            var l = new long[s.Length];
            for (int i = 0; i < l.Length; i++)
                l[i] = long.TryParse(s[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : (long)ParseNumber(s[i]);
            return Cast(Tensor.FromArray(l, x.Shape), to);
        }
        var d = new double[s.Length];
        for (int i = 0; i < d.Length; i++) d[i] = ParseNumber(s[i]);
        var t64 = Tensor.FromArray(d, x.Shape);
        // float32 parses directly so decimal strings round once (not via double).
        if (to == DType.Float32)
        {
            var f = new float[s.Length];
            for (int i = 0; i < f.Length; i++) f[i] = (float)ParseNumberSingle(s[i]);
            return Tensor.FromArray(f, x.Shape);
        }
        return Cast(t64, to);
    }

    private static double ParseNumber(string s)
    {
        var t = s.Trim();
        if (Special(t) is double special) return special;
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        throw new LowBitException(ErrorKind.InvalidInput, $"cannot parse '{s}' as a number");
    }

    private static float ParseNumberSingle(string s)
    {
        var t = s.Trim();
        if (Special(t) is double special) return (float)special;
        if (float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out float v)) return v;
        throw new LowBitException(ErrorKind.InvalidInput, $"cannot parse '{s}' as a number");
    }

    private static double? Special(string t) => t.ToUpperInvariant() switch
    {
        // Positive quiet NaN as C's strtod gives it (.NET's double.NaN has the sign bit set); "-NAN" keeps its sign.
        "NAN" or "+NAN" => BitConverter.Int64BitsToDouble(0x7FF8000000000000),
        "-NAN" => BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8000000000000)),
        "INF" or "+INF" or "INFINITY" or "+INFINITY" => double.PositiveInfinity,
        "-INF" or "-INFINITY" => double.NegativeInfinity,
        _ => null,
    };
}
