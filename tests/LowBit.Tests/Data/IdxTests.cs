using System.Buffers.Binary;
using System.IO.Compression;
using LowBit.Data;

namespace LowBit.Tests.Data;

/// <summary>IDX reading and writing. Comparisons are exact: IDX stores raw bytes.</summary>
public class IdxTests
{
    private static byte[] Header(byte type, params uint[] dims)
    {
        var h = new byte[4 + 4 * dims.Length];
        h[2] = type;
        h[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4 + 4 * i), dims[i]);
        return h;
    }

    private static void WriteGz(string path, byte[] bytes)
    {
        using var f = File.Create(path);
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        gz.Write(bytes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WriteRead_UInt8Images_RoundTripExactly(bool gzip)
    {
        using var tmp = new TempDir();
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 7)).ToArray();
        var path = tmp.File("a.idx");
        Idx.Write(path, new IdxArray(IdxType.UInt8, [2, 3, 4], data), gzip);
        var back = Idx.Read(path);
        Assert.Equal(IdxType.UInt8, back.Type);
        Assert.Equal(new[] { 2, 3, 4 }, back.Dims);
        Assert.Equal(data, back.Data);
        Assert.Equal(gzip, File.ReadAllBytes(path)[0] == 0x1F);
    }

    [Fact]
    public void Read_BigEndianInt32AndFloat_DecodesValues()
    {
        using var tmp = new TempDir();
        var bytes = Header(0x0D, 2).Concat(new byte[8]).ToArray();
        BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(8), -1.5f);
        BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(12), 3.25f);
        File.WriteAllBytes(tmp.File("f.idx"), bytes);
        var f = Idx.Read(tmp.File("f.idx"));
        Assert.Equal(new[] { -1.5, 3.25 }, new[] { f.Get(0), f.Get(1) });

        var ints = Header(0x0C, 1).Concat(new byte[] { 0xFF, 0xFF, 0xFF, 0xFE }).ToArray();
        File.WriteAllBytes(tmp.File("i.idx"), ints);
        Assert.Equal(-2.0, Idx.Read(tmp.File("i.idx")).Get(0));
    }

    [Theory]
    [InlineData(new byte[] { 0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 5 }, "not an IDX file")]
    [InlineData(new byte[] { 0, 0, 0x07, 0x01, 0, 0, 0, 1, 5 }, "not an IDX file")]
    [InlineData(new byte[] { 0, 0, 0x08, 0x00 }, "rank 0")]
    [InlineData(new byte[] { 0, 0, 0x08, 0x03, 0, 0, 0, 1 }, "truncated IDX header")]
    [InlineData(new byte[] { 0, 0, 0x08, 0x01, 0, 0, 0, 4, 1, 2 }, "file holds 2")]
    [InlineData(new byte[] { 0, 0, 0x08, 0x01, 0, 0, 0, 1, 1, 2 }, "file holds 2")]
    [InlineData(new byte[] { 0, 0 }, "shorter than its 4-byte magic")]
    [InlineData(new byte[] { 0, 0, 0x08, 0x03, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF }, "more than")]
    public void Read_MalformedPlainFile_FailsNamingTheProblem(byte[] bytes, string expected)
    {
        using var tmp = new TempDir();
        var path = tmp.File("bad.idx");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<LowBitException>(() => Idx.Read(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_HostileHeaderDeclaringGigabytes_FailsWithoutAllocatingThem(bool gzip)
    {
        using var tmp = new TempDir();
        var path = tmp.File("hostile.idx");
        // 60000×40000×40000 bytes: far past the array limit, refused from the header alone.
        var huge = Header(0x08, 60000, 40000, 40000).Concat(new byte[16]).ToArray();
        // 1×1 GiB: within the limit, but only 16 bytes follow.
        var big = Header(0x08, 1, 1 << 30).Concat(new byte[16]).ToArray();
        foreach (var bytes in new[] { huge, big })
        {
            if (gzip) WriteGz(path, bytes); else File.WriteAllBytes(path, bytes);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<LowBitException>(() => Idx.Read(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 8 << 20, $"allocated {allocated} bytes for a {bytes.Length}-byte file");
            Assert.Contains(path, e.Message);
        }
    }

    [Fact]
    public void Read_GzipTruncatedOrWithTrailingBytes_Fails()
    {
        using var tmp = new TempDir();
        var path = tmp.File("t.idx.gz");
        WriteGz(path, Header(0x08, 10).Concat(new byte[9]).ToArray());
        Assert.Contains("truncated", Assert.Throws<LowBitException>(() => Idx.Read(path)).Message);
        WriteGz(path, Header(0x08, 10).Concat(new byte[11]).ToArray());
        Assert.Contains("more bytes follow", Assert.Throws<LowBitException>(() => Idx.Read(path)).Message);
    }

    [Fact]
    public void Read_MissingFile_IsFileNotFoundNamingIt()
    {
        var e = Assert.Throws<LowBitException>(() => Idx.Read("/nonexistent/x.idx"));
        Assert.Equal(ErrorKind.FileNotFound, e.Kind);
        Assert.Contains("/nonexistent/x.idx", e.Message);
    }
}
