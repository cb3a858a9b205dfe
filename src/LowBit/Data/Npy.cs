using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Data;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1 and 2; version 3 read). C order only; little-endian, with
/// big-endian files byte-swapped on read. dtypes: float16/32/64, int8..64, uint8..64, bool; scalars (shape ()) and
/// zero-size arrays. Headers are validated before anything is allocated: element counts beyond
/// <see cref="Tensor.MaxElements"/> and data sizes beyond what the file holds fail fast.
/// </summary>
public static class Npy
{
    /// <summary>Whether a tensor of this type can be written (NumPy has a matching dtype).</summary>
    public static bool Supports(DType t) => NpyHeader.Supports(t);

    public static Tensor Read(string path)
    {
        var fs = OpenRead(path);
        using (fs)
        {
            try
            {
                return Read(fs, path);
            }
            catch (IOException e)
            {
                throw new LowBitException(ErrorKind.FileNotFound, $"{path}: cannot read ({e.Message})");
            }
        }
    }

    /// <summary>Reads one array from the stream's current position. <paramref name="name"/> is used in messages.</summary>
    public static Tensor Read(Stream stream, string name = "stream")
    {
        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
        LowBitException Bad(string why) => new(ErrorKind.InvalidInput, $"{name}: {why}");

        Span<byte> pre = stackalloc byte[12];
        if (ReadUpTo(stream, pre[..8]) < 8 || !pre[..6].SequenceEqual(NpyHeader.Magic))
            throw Bad("not a .npy file (no \\x93NUMPY magic)");
        int major = pre[6];
        if (major is < 1 or > 3) throw Bad($".npy format version {major}.{pre[7]} is not supported (1, 2 or 3)");
        int lenField = major == 1 ? 2 : 4;
        if (ReadUpTo(stream, pre.Slice(8, lenField)) < lenField) throw Bad("truncated header");
        long headerLen = lenField == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(pre[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(pre[8..]);
        if (headerLen > NpyHeader.MaxHeaderBytes) throw Bad($"header claims {headerLen} bytes (limit {NpyHeader.MaxHeaderBytes})");
        if (remaining is long r0 && 8 + lenField + headerLen > r0) throw Bad($"header claims {headerLen} bytes but the file holds {r0}");
        var headerBytes = new byte[headerLen];
        if (ReadUpTo(stream, headerBytes) < headerLen) throw Bad("truncated header");
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var h = NpyHeader.Parse(text, name);

        var shape = CheckShape(h.Shape, name);
        long count = Tensor.ElementCount(shape);
        if (h.FortranOrder && shape.Count(d => d > 1) > 1)
            throw Bad($"Fortran-order arrays are not supported; save a C-order copy (np.save(f, np.ascontiguousarray(a)))");
        int itemSize = h.DType.StorageElementSize();
        long dataBytes = count * itemSize;
        if (remaining is long r && dataBytes > r - (8 + lenField + headerLen))
            throw Bad($"header claims {count} {h.DType.Name()} elements ({dataBytes} bytes) but the file holds {r - 8 - lenField - headerLen} bytes of data");

        var data = Array.CreateInstance(h.DType.StorageType(), (int)count);
        foreach (var (offset, length) in Chunks(dataBytes, itemSize))
        {
            var chunk = Bytes(data, offset, length);
            if (ReadUpTo(stream, chunk) < length) throw Bad($"truncated: expected {dataBytes} bytes of data");
            if (h.BigEndian) SwapBytes(chunk, itemSize);
            if (h.DType == DType.Bool)
                foreach (ref byte b in chunk) b = b != 0 ? (byte)1 : (byte)0;
        }
        return Tensor.FromStorage(h.DType, data, shape);
    }

    /// <summary>Writes atomically (temporary file, then rename): an existing file is never left half-written.</summary>
    public static void Write(string path, Tensor t)
    {
        NpyHeader.Descr(t.DType);
        AtomicFile.Write(path, s => Write(s, t));
    }

    public static void Write(Stream stream, Tensor t)
    {
        stream.Write(NpyHeader.Format(t.DType, t.Shape));
        int itemSize = t.DType.StorageElementSize();
        foreach (var (offset, length) in Chunks((long)t.Length * itemSize, itemSize))
            stream.Write(Bytes(t.Data, offset, length));
    }

    /// <summary>Splits a byte count into whole-item chunks that fit a span (arrays may exceed 2 GiB of bytes).</summary>
    private static IEnumerable<(long Offset, int Length)> Chunks(long total, int itemSize)
    {
        long max = (1 << 30) / itemSize * itemSize;
        for (long o = 0; o < total; o += max) yield return (o, (int)Math.Min(max, total - o));
    }

    private static Span<byte> Bytes(Array data, long offset, int length) =>
        MemoryMarshal.CreateSpan(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(data), (nint)offset), length);

    private static int[] CheckShape(long[] dims, string name)
    {
        var shape = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0 || dims[i] > Tensor.MaxElements)
                throw new LowBitException(ErrorKind.InvalidInput, $"{name}: dimension {dims[i]} in shape ({string.Join(", ", dims)}) is out of range");
            shape[i] = (int)dims[i];
        }
        // ElementCount stops multiplying as soon as the product passes MaxElements, so 2^40 elements fail before any allocation.
        try
        {
            Tensor.ElementCount(shape);
        }
        catch (LowBitException)
        {
            throw new LowBitException(ErrorKind.InvalidInput, $"{name}: shape ({string.Join(", ", dims)}) has more than {Tensor.MaxElements} elements");
        }
        return shape;
    }

    private static void SwapBytes(Span<byte> bytes, int itemSize)
    {
        for (int i = 0; i + itemSize <= bytes.Length; i += itemSize) bytes.Slice(i, itemSize).Reverse();
    }

    private static int ReadUpTo(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>Opens <paramref name="path"/> for reading; a missing or unreadable file is a one-line error naming it.</summary>
    internal static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LowBitException(ErrorKind.FileNotFound, $"{path}: file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LowBitException(ErrorKind.FileNotFound, $"{path}: cannot read ({e.Message})");
        }
    }
}
