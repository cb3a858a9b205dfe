namespace LowBit.Tensors;

/// <summary>Element types. Numeric values equal ONNX <c>TensorProto.DataType</c> so they convert by cast.</summary>
public enum DType
{
    Undefined = 0,
    Float32 = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Float64 = 11,
    UInt32 = 12,
    UInt64 = 13,
    BFloat16 = 16,
    Float8E4M3FN = 17,
    Float8E4M3FNUZ = 18,
    Float8E5M2 = 19,
    Float8E5M2FNUZ = 20,
    UInt4 = 21,
    Int4 = 22,
    Float4E2M1 = 23,
}

/// <summary>Storage facts per <see cref="DType"/>: which .NET array holds it and how many bits an element takes.</summary>
public static class DTypes
{
    /// <summary>Element type of the backing array. Packed 4-bit types and float8 are stored as <c>byte[]</c>,
    /// bfloat16 as raw <c>ushort</c> bits.</summary>
    public static Type StorageType(this DType t) => t switch
    {
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Float16 => typeof(Half),
        DType.BFloat16 => typeof(ushort),
        DType.Int8 => typeof(sbyte),
        DType.UInt8 => typeof(byte),
        DType.Int16 => typeof(short),
        DType.UInt16 => typeof(ushort),
        DType.Int32 => typeof(int),
        DType.UInt32 => typeof(uint),
        DType.Int64 => typeof(long),
        DType.UInt64 => typeof(ulong),
        DType.Bool => typeof(bool),
        DType.String => typeof(string),
        DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2 or DType.Float8E5M2FNUZ => typeof(byte),
        DType.Int4 or DType.UInt4 or DType.Float4E2M1 => typeof(byte),
        _ => throw new NotSupportedException($"element type {t} is not supported"),
    };

    /// <summary>Bits one element occupies in storage (4 for packed types).</summary>
    public static int BitsPerElement(this DType t) => t switch
    {
        DType.Float64 or DType.Int64 or DType.UInt64 => 64,
        DType.Float32 or DType.Int32 or DType.UInt32 => 32,
        DType.Float16 or DType.BFloat16 or DType.Int16 or DType.UInt16 => 16,
        DType.Int4 or DType.UInt4 or DType.Float4E2M1 => 4,
        DType.String => 64,
        _ => 8,
    };

    /// <summary>Bytes per element of the backing array (1 for packed and float8 storage).</summary>
    public static int StorageElementSize(this DType t) => t switch
    {
        DType.Float64 or DType.Int64 or DType.UInt64 or DType.String => 8,
        DType.Float32 or DType.Int32 or DType.UInt32 => 4,
        DType.Float16 or DType.BFloat16 or DType.Int16 or DType.UInt16 => 2,
        _ => 1,
    };

    public static bool IsPacked4(this DType t) => t is DType.Int4 or DType.UInt4 or DType.Float4E2M1;
    public static bool IsFloat(this DType t) => t is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16
        or DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2 or DType.Float8E5M2FNUZ or DType.Float4E2M1;
    public static bool IsInteger(this DType t) => t is DType.Int8 or DType.UInt8 or DType.Int16 or DType.UInt16
        or DType.Int32 or DType.UInt32 or DType.Int64 or DType.UInt64 or DType.Int4 or DType.UInt4;

    /// <summary>Number of storage array elements needed for <paramref name="count"/> logical elements.</summary>
    public static long StorageLength(this DType t, long count) => t.IsPacked4() ? (count + 1) / 2 : count;

    /// <summary>The DType whose storage is <typeparamref name="T"/> (the unambiguous one).</summary>
    public static DType Of<T>() =>
        typeof(T) == typeof(float) ? DType.Float32 :
        typeof(T) == typeof(double) ? DType.Float64 :
        typeof(T) == typeof(Half) ? DType.Float16 :
        typeof(T) == typeof(sbyte) ? DType.Int8 :
        typeof(T) == typeof(byte) ? DType.UInt8 :
        typeof(T) == typeof(short) ? DType.Int16 :
        typeof(T) == typeof(ushort) ? DType.UInt16 :
        typeof(T) == typeof(int) ? DType.Int32 :
        typeof(T) == typeof(uint) ? DType.UInt32 :
        typeof(T) == typeof(long) ? DType.Int64 :
        typeof(T) == typeof(ulong) ? DType.UInt64 :
        typeof(T) == typeof(bool) ? DType.Bool :
        typeof(T) == typeof(string) ? DType.String :
        throw new NotSupportedException($"no element type for {typeof(T).Name}");

    /// <summary>Short lowercase name as used in CLI output and JSON (float32, int8, ...).</summary>
    public static string Name(this DType t) => t switch
    {
        DType.Float32 => "float32", DType.Float64 => "float64", DType.Float16 => "float16", DType.BFloat16 => "bfloat16",
        DType.Int8 => "int8", DType.UInt8 => "uint8", DType.Int16 => "int16", DType.UInt16 => "uint16",
        DType.Int32 => "int32", DType.UInt32 => "uint32", DType.Int64 => "int64", DType.UInt64 => "uint64",
        DType.Bool => "bool", DType.String => "string", DType.Int4 => "int4", DType.UInt4 => "uint4",
        DType.Float8E4M3FN => "float8e4m3fn", DType.Float8E4M3FNUZ => "float8e4m3fnuz",
        DType.Float8E5M2 => "float8e5m2", DType.Float8E5M2FNUZ => "float8e5m2fnuz", DType.Float4E2M1 => "float4e2m1",
        _ => t.ToString().ToLowerInvariant(),
    };
}
