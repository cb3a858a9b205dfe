using System.Buffers.Binary;
using System.IO.Compression;

namespace LowBit.Data;

/// <summary>IDX element types (the third magic byte).</summary>
public enum IdxType : byte
{
    UInt8 = 0x08,
    Int8 = 0x09,
    Int16 = 0x0B,
    Int32 = 0x0C,
    Float32 = 0x0D,
    Float64 = 0x0E,
}

/// <summary>
/// An IDX array (LeCun's MNIST format). File layout, all integers big-endian:
/// <c>00 00 type ndim | dim₀ … dim_{ndim−1} (uint32 each) | data (row-major, big-endian elements)</c>.
/// <see cref="Data"/> keeps the raw big-endian bytes; dim₀ is the item (sample) count.
/// </summary>
public sealed class IdxArray
{
    public IdxType Type { get; }
    public int[] Dims { get; }
    public byte[] Data { get; }

    public IdxArray(IdxType type, int[] dims, byte[] data)
    {
        if (dims.Length is < 1 or > Idx.MaxRank) throw new ArgumentException($"IDX rank {dims.Length} is outside 1..{Idx.MaxRank}");
        long need = Idx.DataBytes(type, dims, "IDX array");
        if (data.Length != need) throw new ArgumentException($"IDX data holds {data.Length} bytes, dims need {need}");
        Type = type;
        Dims = dims;
        Data = data;
        ItemLength = (int)(Idx.DataBytes(type, dims[1..], "IDX item") / Idx.ElementSize(type));
    }

    public int Count => Dims[0];

    /// <summary>Elements per item: the product of dims after the first.</summary>
    public int ItemLength { get; }

    /// <summary>Element <paramref name="i"/> (flat index) as a double.</summary>
    public double Get(long i)
    {
        int at = checked((int)(i * Idx.ElementSize(Type)));
        var d = Data.AsSpan(at);
        return Type switch
        {
            IdxType.UInt8 => d[0],
            IdxType.Int8 => (sbyte)d[0],
            IdxType.Int16 => BinaryPrimitives.ReadInt16BigEndian(d),
            IdxType.Int32 => BinaryPrimitives.ReadInt32BigEndian(d),
            IdxType.Float32 => BinaryPrimitives.ReadSingleBigEndian(d),
            _ => BinaryPrimitives.ReadDoubleBigEndian(d),
        };
    }

    /// <summary>Item <paramref name="item"/> as floats, divided by <paramref name="divisor"/> (division, not
    /// multiplication by the reciprocal, so 8-bit values map to exactly v/255 as in torchvision's ToTensor).</summary>
    public void CopyItem(int item, Span<float> destination, float divisor = 1f)
    {
        int n = ItemLength;
        long first = (long)item * n;
        if (Type == IdxType.UInt8)
        {
            var src = Data.AsSpan(checked((int)first), n);
            for (int i = 0; i < n; i++) destination[i] = src[i] / divisor;
            return;
        }
        for (int i = 0; i < n; i++) destination[i] = (float)(Get(first + i) / divisor);
    }
}

/// <summary>Reads and writes IDX files, plain or gzip (detected by the 1F 8B magic, not the file name).</summary>
public static class Idx
{
    public const int MaxRank = 8;

    public static int ElementSize(IdxType t) => t switch
    {
        IdxType.UInt8 or IdxType.Int8 => 1,
        IdxType.Int16 => 2,
        IdxType.Int32 or IdxType.Float32 => 4,
        IdxType.Float64 => 8,
        _ => throw new ArgumentException($"unknown IDX type 0x{(byte)t:X2}"),
    };

    /// <summary>Bytes of data the dims declare; throws before anything is allocated when over the array limit.</summary>
    internal static long DataBytes(IdxType type, int[] dims, string what)
    {
        long n = ElementSize(type);
        foreach (int d in dims)
        {
            if (d < 0) throw new LowBitException(ErrorKind.InvalidInput, $"{what}: negative dimension {d}");
            n *= d;
            if (n > Array.MaxLength)
                throw new LowBitException(ErrorKind.InvalidInput, $"{what}: header declares dims [{string.Join(",", dims)}], more than {Array.MaxLength} bytes");
        }
        return n;
    }

    /// <summary>
    /// Reads an IDX file. Fails with a one-line <see cref="LowBitException"/> naming the file when the magic is wrong,
    /// the dims are absurd, or the data is shorter or longer than the dims declare. The declared size is checked
    /// against the bytes present (file length, or the gzip ISIZE trailer) before the data buffer is allocated.
    /// </summary>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new LowBitException(ErrorKind.FileNotFound, $"{path}: file not found");
        try
        {
            using var file = File.OpenRead(path);
            bool gz = IsGzip(file);
            long? available = gz ? null : file.Length;
            uint? isize = gz ? GzipTrailerSize(file) : null;
            using Stream s = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
            return ReadFrom(s, path, available, isize);
        }
        catch (InvalidDataException e)
        {
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: corrupt gzip data ({e.Message})");
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: cannot read ({e.Message})");
        }
    }

    private static IdxArray ReadFrom(Stream s, string path, long? totalBytes, uint? gzipSize)
    {
        Span<byte> magic = stackalloc byte[4];
        if (ReadFull(s, magic) < 4) throw new LowBitException(ErrorKind.InvalidInput, $"{path}: not an IDX file (shorter than its 4-byte magic)");
        if (magic[0] != 0 || magic[1] != 0 || !Enum.IsDefined((IdxType)magic[2]))
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: not an IDX file (magic {Convert.ToHexString(magic)}, expected 0000TTNN with type 08,09,0B,0C,0D or 0E)");
        var type = (IdxType)magic[2];
        int rank = magic[3];
        if (rank is < 1 or > MaxRank) throw new LowBitException(ErrorKind.InvalidInput, $"{path}: IDX rank {rank} is outside 1..{MaxRank}");
        Span<byte> dimBytes = stackalloc byte[4 * rank];
        if (ReadFull(s, dimBytes) < dimBytes.Length) throw new LowBitException(ErrorKind.InvalidInput, $"{path}: truncated IDX header");
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(dimBytes[(4 * i)..]);
            if (d > int.MaxValue) throw new LowBitException(ErrorKind.InvalidInput, $"{path}: IDX dimension {i} is {d}, too large");
            dims[i] = (int)d;
        }
        long need = DataBytes(type, dims, path);
        DataBytes(type, dims[1..], path);  // one item must fit too, even when dim₀ is 0
        long header = 4 + 4L * rank;
        string declared = $"header declares [{string.Join(",", dims)}] {type} = {need} data bytes";
        if (totalBytes is long total && total - header != need)
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: {declared}, file holds {total - header}");
        // ISIZE is the uncompressed length mod 2³² of the last gzip member; a mismatch (multi-member files) only
        // disables preallocation, the streamed read below still enforces the exact length.
        bool trusted = totalBytes is not null || (gzipSize is uint sz && sz == (uint)((header + need) & 0xFFFFFFFF));
        var data = trusted ? new byte[need] : ReadGrowing(s, need, path, declared);
        if (trusted && ReadFull(s, data) < need)
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: truncated: {declared}");
        if (s.ReadByte() >= 0) throw new LowBitException(ErrorKind.InvalidInput, $"{path}: {declared} but more bytes follow");
        return new IdxArray(type, dims, data);
    }

    /// <summary>Reads exactly <paramref name="need"/> bytes, growing the buffer as bytes arrive so a hostile header
    /// costs at most twice the bytes really present.</summary>
    private static byte[] ReadGrowing(Stream s, long need, string path, string declared)
    {
        var buffer = new byte[(int)Math.Min(need, 1 << 20)];
        int have = 0;
        while (have < need)
        {
            if (have == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(need, 2L * buffer.Length));
            int r = s.Read(buffer, have, buffer.Length - have);
            if (r == 0) throw new LowBitException(ErrorKind.InvalidInput, $"{path}: truncated: {declared}, only {have} present");
            have += r;
        }
        return buffer;
    }

    private static int ReadFull(Stream s, Span<byte> buffer)
    {
        int have = 0;
        while (have < buffer.Length)
        {
            int r = s.Read(buffer[have..]);
            if (r == 0) break;
            have += r;
        }
        return have;
    }

    private static bool IsGzip(FileStream f)
    {
        Span<byte> two = stackalloc byte[2];
        int n = f.Read(two);
        f.Position = 0;
        return n == 2 && two[0] == 0x1F && two[1] == 0x8B;
    }

    private static uint? GzipTrailerSize(FileStream f)
    {
        if (f.Length < 18) return null;
        Span<byte> four = stackalloc byte[4];
        f.Position = f.Length - 4;
        f.ReadExactly(four);
        f.Position = 0;
        return BinaryPrimitives.ReadUInt32LittleEndian(four);
    }

    /// <summary>Writes <paramref name="array"/> as IDX (gzip when <paramref name="gzip"/>), via a temporary file moved
    /// into place, so an existing file is replaced only by a complete one.</summary>
    public static void Write(string path, IdxArray array, bool gzip = true) => Onnx.AtomicFile.Write(path, file =>
    {
        using var gz = gzip ? new GZipStream(file, CompressionLevel.SmallestSize, leaveOpen: true) : null;
        Stream s = gz ?? file;
        var head = new byte[4 + 4 * array.Dims.Length];
        head[2] = (byte)array.Type;
        head[3] = (byte)array.Dims.Length;
        for (int i = 0; i < array.Dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(4 + 4 * i), (uint)array.Dims[i]);
        s.Write(head);
        s.Write(array.Data);
    });
}
