using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// How a scale/zero-point tensor maps onto the elements of x for QuantizeLinear/DequantizeLinear. x is viewed as
/// [Outer, AxisLen, Inner] around the quantization axis; element (o, a, i) uses parameter
/// <c>o·StrideO + (a / Block)·StrideA + i·StrideI</c>:
/// <list type="bullet">
/// <item>per-tensor (scale scalar or [1]): all strides 0;</item>
/// <item>per-axis (scale [AxisLen]): StrideA = 1, Block = 1;</item>
/// <item>blocked (opset 21, scale of x's rank with dim[axis] = ⌈AxisLen / block_size⌉): StrideO = ⌈AxisLen/B⌉·Inner,
///   StrideA = Inner, StrideI = 1, Block = B.</item>
/// </list>
/// </summary>
internal readonly record struct QuantLayout(int Outer, int AxisLen, int Inner, int Block, int StrideO, int StrideA, int StrideI)
{
    public static QuantLayout Of(int[] xShape, Tensor scale, long axis, long blockSize)
    {
        int n = checked((int)Tensor.ElementCount(xShape));
        if (blockSize < 0) throw new ArgumentException($"block_size must be ≥ 0, got {blockSize}");
        if (blockSize == 0 && scale.Length == 1 && scale.Rank <= 1)
            return new QuantLayout(1, 1, n, 1, 0, 0, 0);
        int rank = xShape.Length;
        if (axis < -rank || axis >= rank) throw new ArgumentException($"axis {axis} is out of range for rank {rank}");
        int ax = (int)(axis < 0 ? axis + rank : axis);
        int outer = 1, inner = 1;
        for (int d = 0; d < ax; d++) outer *= xShape[d];
        for (int d = ax + 1; d < rank; d++) inner *= xShape[d];
        int len = xShape[ax];
        if (blockSize == 0)
        {
            if (scale.Rank != 1 || scale.Length != len)
                throw new ArgumentException($"per-axis scale must be 1-D of length {len} (x dim {ax}), got {scale.ShapeString}");
            return new QuantLayout(outer, len, inner, 1, 0, 1, 0);
        }
        if (blockSize > int.MaxValue) throw new ArgumentException($"block_size {blockSize} is too large");
        int b = (int)blockSize;
        int blocks = (int)((len + (long)b - 1) / b);
        if (scale.Rank != rank)
            throw new ArgumentException($"blocked scale must have x's rank {rank}, got {scale.ShapeString}");
        for (int d = 0; d < rank; d++)
        {
            int want = d == ax ? blocks : xShape[d];
            if (scale.Shape[d] != want)
                throw new ArgumentException($"blocked scale shape {scale.ShapeString} does not fit x [{string.Join(",", xShape)}] with axis {ax}, block_size {b} (dim {d} must be {want})");
        }
        return new QuantLayout(outer, len, inner, b, blocks * inner, inner, 1);
    }

    public static void CheckZeroPoint(Tensor scale, Tensor? zeroPoint)
    {
        if (zeroPoint is not null && !(zeroPoint.Shape.SequenceEqual(scale.Shape) || (zeroPoint.Length == 1 && scale.Length == 1)))
            throw new ArgumentException($"zero point shape {zeroPoint.ShapeString} differs from scale shape {scale.ShapeString}");
    }
}

/// <summary>Integer ranges, element readers and the rounding rule shared by the quantization ops.</summary>
internal static class QuantMath
{
    /// <summary>[qmin, qmax] of an integer quantized type.</summary>
    public static (int Min, int Max) Range(DType t) => t switch
    {
        DType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        DType.UInt8 => (byte.MinValue, byte.MaxValue),
        DType.Int16 => (short.MinValue, short.MaxValue),
        DType.UInt16 => (ushort.MinValue, ushort.MaxValue),
        DType.Int4 => (-8, 7),
        DType.UInt4 => (0, 15),
        DType.Int32 => (int.MinValue, int.MaxValue),
        _ => throw new NotSupportedException($"{t.Name()} is not an integer quantized type"),
    };

    public static bool IsSmallFloat(DType t) => t is DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2
        or DType.Float8E5M2FNUZ or DType.Float4E2M1;

    /// <summary>round-half-to-even(v) clamped to [min, max]; NaN maps to 0 before clamping.
    /// Clamping before or after rounding gives the same result because min and max are integers.</summary>
    public static int RoundSaturate(float v, int min, int max)
    {
        if (!(v >= min)) return float.IsNaN(v) ? Math.Clamp(0, min, max) : min;
        if (v >= max) return max;
        return (int)MathF.Round(v, MidpointRounding.ToEven);
    }

    /// <summary>Every element of an integer tensor (8/16/32-bit, packed 4-bit) as int.</summary>
    public static int[] ReadInts(Tensor t)
    {
        var r = new int[t.Length];
        switch (t.DType)
        {
            case DType.Int8: { var s = t.AsSpan<sbyte>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.UInt8: { var s = t.AsSpan<byte>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.Int16: { var s = t.AsSpan<short>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.UInt16: { var s = t.AsSpan<ushort>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.Int32: t.AsSpan<int>().CopyTo(r); break;
            case DType.Int4:
            case DType.UInt4:
                {
                    var s = t.AsSpan<byte>();
                    bool signed = t.DType == DType.Int4;
                    for (int i = 0; i < r.Length; i++)
                    {
                        int nib = (s[i >> 1] >> ((i & 1) << 2)) & 0xF;
                        r[i] = signed ? (nib ^ 8) - 8 : nib;
                    }
                    break;
                }
            default: throw new NotSupportedException($"{t.DType.Name()} is not an integer quantized type");
        }
        return r;
    }

    /// <summary>Every element of a float tensor (float32/16, bfloat16, float8, float4) as float32 (a copy).</summary>
    public static float[] ReadFloats(Tensor t)
    {
        var r = new float[t.Length];
        switch (t.DType)
        {
            case DType.Float32: t.AsSpan<float>().CopyTo(r); break;
            case DType.Float16: System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(t.AsSpan<Half>(), r); break;
            case DType.BFloat16: { var s = t.AsSpan<ushort>(); for (int i = 0; i < r.Length; i++) r[i] = BFloat16Bits.ToFloat(s[i]); break; }
            case DType.Float64: { var s = t.AsSpan<double>(); for (int i = 0; i < r.Length; i++) r[i] = (float)s[i]; break; }
            case DType.Int32: { var s = t.AsSpan<int>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            default:
                if (!IsSmallFloat(t.DType)) throw new NotSupportedException($"{t.DType.Name()} is not a float type");
                // 256-entry decode table: Float8.ToFloat is a slow generic path.
                var table = new float[256];
                for (int c = 0; c < 256; c++) table[c] = Float8.ToFloat(t.DType, (byte)c);
                if (t.DType == DType.Float4E2M1)
                {
                    var p = t.AsSpan<byte>();
                    for (int i = 0; i < r.Length; i++) r[i] = table[(p[i >> 1] >> ((i & 1) << 2)) & 0xF];
                }
                else
                {
                    var s = t.AsSpan<byte>();
                    for (int i = 0; i < r.Length; i++) r[i] = table[s[i]];
                }
                break;
        }
        return r;
    }

    /// <summary>Writes int codes (already within the type's range) into a new tensor of an integer type.</summary>
    public static Tensor WriteInts(DType t, int[] shape, ReadOnlySpan<int> codes)
    {
        var y = t.IsPacked4() ? Tensor.Zeros(t, shape) : Tensor.Empty(t, shape);
        switch (t)
        {
            case DType.Int8: { var d = y.AsSpan<sbyte>(); for (int i = 0; i < codes.Length; i++) d[i] = (sbyte)codes[i]; break; }
            case DType.UInt8: { var d = y.AsSpan<byte>(); for (int i = 0; i < codes.Length; i++) d[i] = (byte)codes[i]; break; }
            case DType.Int16: { var d = y.AsSpan<short>(); for (int i = 0; i < codes.Length; i++) d[i] = (short)codes[i]; break; }
            case DType.UInt16: { var d = y.AsSpan<ushort>(); for (int i = 0; i < codes.Length; i++) d[i] = (ushort)codes[i]; break; }
            case DType.Int32: codes.CopyTo(y.AsSpan<int>()); break;
            case DType.Int4:
            case DType.UInt4:
                {
                    // byte k = [hi: code 2k+1 | lo: code 2k]; the odd tail's high nibble stays 0.
                    var d = y.AsSpan<byte>();
                    for (int i = 0; i < codes.Length; i++) d[i >> 1] |= (byte)((codes[i] & 0xF) << ((i & 1) << 2));
                    break;
                }
            default: throw new NotSupportedException($"{t.Name()} is not an integer quantized type");
        }
        return y;
    }

    /// <summary>Writes float32 values into a new float32/float16/bfloat16 tensor (round to nearest even).</summary>
    public static Tensor WriteFloats(DType t, int[] shape, ReadOnlySpan<float> values)
    {
        var y = Tensor.Empty(t, shape);
        switch (t)
        {
            case DType.Float32: values.CopyTo(y.AsSpan<float>()); break;
            case DType.Float16: System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(values, y.AsSpan<Half>()); break;
            case DType.BFloat16: { var d = y.AsSpan<ushort>(); for (int i = 0; i < values.Length; i++) d[i] = BFloat16Bits.FromFloat(values[i]); break; }
            default: throw new NotSupportedException($"output type {t.Name()} is not supported (float32, float16, bfloat16)");
        }
        return y;
    }

    /// <summary>A scalar tensor's only element as float (scales).</summary>
    public static float ScalarFloat(Tensor t, string what)
    {
        if (t.Length != 1) throw new ArgumentException($"{what} must be a scalar, got {t.ShapeString}");
        return ReadFloats(t)[0];
    }
}
