using LowBit.Tensors;

namespace LowBit.Formats;

/// <summary>Moves codes (see <see cref="INumberFormat"/>) between int spans and tensors of a format's ONNX storage type.
/// 4-bit types are packed two per byte in the ONNX nibble order (<see cref="Int4Packing"/>).</summary>
internal static class CodeStorage
{
    /// <summary>A tensor of <paramref name="dtype"/> holding <paramref name="codes"/>; codes must fit the type.</summary>
    public static Tensor ToTensor(ReadOnlySpan<int> codes, DType dtype, int[] shape)
    {
        var t = Tensor.Empty(dtype, shape);
        if (codes.Length != t.Length) throw new ArgumentException($"{codes.Length} codes do not fill shape {t.ShapeString}");
        switch (dtype)
        {
            case DType.Int8: { var d = t.AsSpan<sbyte>(); for (int i = 0; i < codes.Length; i++) d[i] = checked((sbyte)codes[i]); break; }
            case DType.UInt8: { var d = t.AsSpan<byte>(); for (int i = 0; i < codes.Length; i++) d[i] = checked((byte)codes[i]); break; }
            case DType.Int16: { var d = t.AsSpan<short>(); for (int i = 0; i < codes.Length; i++) d[i] = checked((short)codes[i]); break; }
            case DType.UInt16: { var d = t.AsSpan<ushort>(); for (int i = 0; i < codes.Length; i++) d[i] = checked((ushort)codes[i]); break; }
            case DType.Int4 or DType.UInt4 or DType.Float4E2M1:
            {
                int lo = dtype == DType.Int4 ? -8 : 0, hi = lo + 15;
                var d = t.AsSpan<byte>();
                d.Clear();  // pooled storage: the odd tail nibble must be 0
                for (int i = 0; i < codes.Length; i++)
                {
                    int c = codes[i];
                    if (c < lo || c > hi) throw new OverflowException($"code {c} does not fit {dtype.Name()}");
                    d[i >> 1] |= (byte)((c & 0xF) << ((i & 1) * 4));
                }
                break;
            }
            case DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2 or DType.Float8E5M2FNUZ:
            { var d = t.AsSpan<byte>(); for (int i = 0; i < codes.Length; i++) d[i] = checked((byte)codes[i]); break; }
            default: throw new NotSupportedException($"{dtype.Name()} does not store quantized codes");
        }
        return t;
    }

    /// <summary>The codes held by a tensor of a code storage type (signed types sign-extended).</summary>
    public static int[] FromTensor(Tensor t)
    {
        var r = new int[t.Length];
        switch (t.DType)
        {
            case DType.Int8: { var s = t.AsReadOnlySpan<sbyte>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.Int16: { var s = t.AsReadOnlySpan<short>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.UInt16: { var s = t.AsReadOnlySpan<ushort>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.Int4: { var s = (byte[])t.Data; for (int i = 0; i < r.Length; i++) r[i] = Int4Packing.GetSigned(s, i); break; }
            case DType.UInt4 or DType.Float4E2M1: { var s = (byte[])t.Data; for (int i = 0; i < r.Length; i++) r[i] = Int4Packing.GetUnsigned(s, i); break; }
            case DType.UInt8 or DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2 or DType.Float8E5M2FNUZ:
            { var s = t.AsReadOnlySpan<byte>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            default: throw new NotSupportedException($"{t.DType.Name()} does not store quantized codes");
        }
        return r;
    }
}
