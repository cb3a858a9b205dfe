using System.Runtime.InteropServices;
using Google.Protobuf;
using LowBit.Tensors;
using Onnx;

namespace LowBit.Onnx;

/// <summary>Converts between ONNX TensorProto and <see cref="Tensor"/>. Sizes are checked against the bytes actually
/// present before anything is allocated, so a hostile header (a dim of 2^40) fails fast.</summary>
internal static class TensorProtoConverter
{
    /// <summary>Reads a tensor. <paramref name="externalData"/> resolves (location, offset, length) to bytes.</summary>
    public static Tensor ToTensor(TensorProto p, Func<TensorProto, byte[]>? externalData = null, string? context = null)
    {
        string what = context ?? $"tensor '{p.Name}'";
        var dtype = (DType)p.DataType;
        if (!Enum.IsDefined(dtype) || dtype == DType.Undefined)
            throw new LowBitException(ErrorKind.InvalidModel, $"{what}: unknown element type {p.DataType}");
        if (p.Segment is not null)
            throw new LowBitException(ErrorKind.InvalidModel, $"{what}: segmented tensors are not supported");
        var shape = Tensor.CheckedShape(p.Dims, what);
        long count = Tensor.ElementCount(shape);

        if (p.DataLocation == TensorProto.Types.DataLocation.External)
        {
            if (externalData is null) throw new LowBitException(ErrorKind.InvalidModel, $"{what}: external data is not available here");
            return FromBytes(dtype, shape, count, externalData(p), what);
        }
        if (!p.RawData.IsEmpty) return FromBytes(dtype, shape, count, p.RawData.Span, what);
        return FromTypedFields(p, dtype, shape, count, what);
    }

    private static Tensor FromBytes(DType dtype, int[] shape, long count, ReadOnlySpan<byte> bytes, string what)
    {
        if (dtype == DType.String) throw new LowBitException(ErrorKind.InvalidModel, $"{what}: string tensors cannot use raw_data");
        long storage = dtype.StorageLength(count);
        long need = storage * dtype.StorageElementSize();
        if (bytes.Length != need)
            throw new LowBitException(ErrorKind.InvalidModel, $"{what}: shape [{string.Join(",", shape)}] of {dtype.Name()} needs {need} bytes, the file holds {bytes.Length}");
        var t = Tensor.Zeros(dtype, shape);
        var dst = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(t.Data), (int)need);
        bytes.CopyTo(dst);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        return t;
    }

    private static Tensor FromTypedFields(TensorProto p, DType dtype, int[] shape, long count, string what)
    {
        long have = dtype switch
        {
            DType.Float32 => p.FloatData.Count,
            DType.Float64 => p.DoubleData.Count,
            DType.Int64 => p.Int64Data.Count,
            DType.UInt32 or DType.UInt64 => p.Uint64Data.Count,
            DType.String => p.StringData.Count,
            DType.Int4 or DType.UInt4 or DType.Float4E2M1 => p.Int32Data.Count * 2L,
            _ => p.Int32Data.Count,
        };
        bool packed = dtype.IsPacked4();
        if (packed ? have < count || have > count + 1 : have != count)
            throw new LowBitException(ErrorKind.InvalidModel, $"{what}: shape [{string.Join(",", shape)}] needs {count} values, the file holds {have}");
        var t = Tensor.Zeros(dtype, shape);
        int n = (int)count;
        switch (dtype)
        {
            case DType.Float32: p.FloatData.CopyTo((float[])t.Data, 0); break;
            case DType.Float64: p.DoubleData.CopyTo((double[])t.Data, 0); break;
            case DType.Int64: p.Int64Data.CopyTo((long[])t.Data, 0); break;
            case DType.UInt64: { var a = (ulong[])t.Data; for (int i = 0; i < n; i++) a[i] = p.Uint64Data[i]; break; }
            case DType.UInt32: { var a = (uint[])t.Data; for (int i = 0; i < n; i++) a[i] = (uint)p.Uint64Data[i]; break; }
            case DType.Int32: p.Int32Data.CopyTo((int[])t.Data, 0); break;
            case DType.Int16: { var a = (short[])t.Data; for (int i = 0; i < n; i++) a[i] = (short)p.Int32Data[i]; break; }
            case DType.UInt16: case DType.BFloat16: { var a = (ushort[])t.Data; for (int i = 0; i < n; i++) a[i] = (ushort)p.Int32Data[i]; break; }
            case DType.Float16: { var a = (Half[])t.Data; for (int i = 0; i < n; i++) a[i] = BitConverter.UInt16BitsToHalf((ushort)p.Int32Data[i]); break; }
            case DType.Int8: { var a = (sbyte[])t.Data; for (int i = 0; i < n; i++) a[i] = (sbyte)p.Int32Data[i]; break; }
            case DType.Bool: { var a = (bool[])t.Data; for (int i = 0; i < n; i++) a[i] = p.Int32Data[i] != 0; break; }
            case DType.String: { var a = (string[])t.Data; for (int i = 0; i < n; i++) a[i] = p.StringData[i].ToStringUtf8(); break; }
            case DType.Int4: case DType.UInt4: case DType.Float4E2M1:
                { var a = (byte[])t.Data; for (int i = 0; i < a.Length; i++) a[i] = (byte)p.Int32Data[i]; break; }
            default: { var a = (byte[])t.Data; for (int i = 0; i < n; i++) a[i] = (byte)p.Int32Data[i]; break; }
        }
        return t;
    }

    /// <summary>Writes a tensor as raw_data (strings as string_data).</summary>
    public static TensorProto ToProto(Tensor t, string name)
    {
        var p = new TensorProto { Name = name, DataType = (int)t.DType };
        p.Dims.AddRange(t.Shape.Select(d => (long)d));
        if (t.DType == DType.String)
            foreach (var s in t.AsSpan<string>()) p.StringData.Add(ByteString.CopyFromUtf8(s ?? ""));
        else
            p.RawData = ByteString.CopyFrom(t.RawBytes());
        return p;
    }
}
