using System.Runtime.InteropServices;

namespace LowBit.Tensors;

/// <summary>
/// A dense, row-major (C order) n-dimensional array. Storage is a typed .NET array (see <see cref="DTypes.StorageType"/>)
/// that may be longer than <see cref="Length"/> when it comes from a buffer pool; 4-bit types are packed two per byte,
/// element i in the low nibble of byte i/2 when i is even (ONNX layout).
/// </summary>
public sealed partial class Tensor
{
    /// <summary>Largest element count a tensor may have (the .NET array limit).</summary>
    public const long MaxElements = 0x7FFFFFC7;

    public DType DType { get; }
    /// <summary>Dimensions; do not mutate.</summary>
    public int[] Shape { get; }
    public int Rank => Shape.Length;
    /// <summary>Number of logical elements (product of <see cref="Shape"/>).</summary>
    public int Length { get; }
    /// <summary>Backing array; at least <c>DType.StorageLength(Length)</c> long.</summary>
    internal Array Data { get; }

    internal Tensor(DType dtype, int[] shape, Array data)
    {
        DType = dtype;
        Shape = shape;
        Length = checked((int)ElementCount(shape));
        long need = dtype.StorageLength(Length);
        if (data.GetType().GetElementType() != dtype.StorageType())
            throw new ArgumentException($"storage {data.GetType().Name} does not hold {dtype.Name()}");
        if (data.Length < need)
            throw new ArgumentException($"storage of {data.Length} elements is too small for shape [{string.Join(",", shape)}]");
        Data = data;
    }

    /// <summary>Product of dims, validated: negative dims or counts over <see cref="MaxElements"/> throw.</summary>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new LowBitException(ErrorKind.InvalidInput, $"negative dimension {d} in shape [{string.Join(",", shape.ToArray())}]");
            n *= d;
            if (n > MaxElements) throw new LowBitException(ErrorKind.InvalidInput, $"shape [{string.Join(",", shape.ToArray())}] has more than {MaxElements} elements");
        }
        return n;
    }

    /// <summary>Converts int64 dims (as stored in ONNX) to int dims, refusing absurd sizes before anything is allocated.</summary>
    public static int[] CheckedShape(IReadOnlyList<long> dims, string what)
    {
        var shape = new int[dims.Count];
        long n = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = dims[i];
            if (d < 0 || d > MaxElements)
                throw new LowBitException(ErrorKind.InvalidModel, $"{what}: dimension {d} is out of range");
            n *= Math.Max(d, 1);
            if (n > MaxElements) throw new LowBitException(ErrorKind.InvalidModel, $"{what}: shape [{string.Join(",", dims)}] is too large");
            shape[i] = (int)d;
        }
        return shape;
    }

    /// <summary>A new tensor of the given type and shape. Contents are zero unless the buffer comes from the
    /// session's pool (then undefined: every op writes all of its output).</summary>
    public static Tensor Empty(DType dtype, params int[] shape)
    {
        long n = dtype.StorageLength(ElementCount(shape));
        var pool = TensorPool.Current;
        Array data = pool is not null ? pool.Rent(dtype, (int)n) : Array.CreateInstance(dtype.StorageType(), (int)n);
        return new Tensor(dtype, (int[])shape.Clone(), data);
    }

    /// <summary>A zero-filled tensor (pooled storage is cleared).</summary>
    public static Tensor Zeros(DType dtype, params int[] shape)
    {
        var t = Empty(dtype, shape);
        if (TensorPool.Current is not null) Array.Clear(t.Data, 0, (int)dtype.StorageLength(t.Length));
        return t;
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) with the DType matching <typeparamref name="T"/>.</summary>
    public static Tensor FromArray<T>(T[] data, params int[] shape) => new(DTypes.Of<T>(), (int[])shape.Clone(), data);

    /// <summary>Wraps raw storage for types whose storage is shared (bfloat16, float8, int4).</summary>
    public static Tensor FromStorage(DType dtype, Array data, params int[] shape) => new(dtype, (int[])shape.Clone(), data);

    public static Tensor Scalar<T>(T value) => FromArray(new[] { value });

    /// <summary>Span over the logical elements. <typeparamref name="T"/> must be the storage type.</summary>
    public Span<T> AsSpan<T>()
    {
        if (Data is not T[] a)
            throw new InvalidOperationException($"tensor of {DType.Name()} is not stored as {typeof(T).Name}");
        return new Span<T>(a, 0, (int)DType.StorageLength(Length));
    }

    public ReadOnlySpan<T> AsReadOnlySpan<T>() => AsSpan<T>();

    /// <summary>A tensor with a new shape sharing this tensor's storage (no copy).</summary>
    public Tensor Reshape(params int[] shape)
    {
        if (ElementCount(shape) != Length)
            throw new ArgumentException($"cannot reshape [{string.Join(",", Shape)}] to [{string.Join(",", shape)}]");
        return new Tensor(DType, (int[])shape.Clone(), Data);
    }

    /// <summary>A deep copy with exactly sized storage (never pooled).</summary>
    public Tensor Clone()
    {
        long n = DType.StorageLength(Length);
        var copy = Array.CreateInstance(DType.StorageType(), (int)n);
        Array.Copy(Data, copy, n);
        return new Tensor(DType, (int[])Shape.Clone(), copy);
    }

    /// <summary>Bytes of the logical elements in storage order (strings are not supported).</summary>
    public ReadOnlySpan<byte> RawBytes()
    {
        if (DType == DType.String) throw new NotSupportedException("string tensors have no raw byte form");
        int n = (int)DType.StorageLength(Length);
        int elemSize = DType.StorageElementSize();
        return MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(Data), n * elemSize);
    }

    public string ShapeString => "[" + string.Join(",", Shape) + "]";
    public override string ToString() => $"Tensor<{DType.Name()}>{ShapeString}";
}
