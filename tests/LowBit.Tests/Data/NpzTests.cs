using LowBit.Data;
using LowBit.Tensors;

namespace LowBit.Tests.Data;

public class NpzTests
{
    /// <summary>np.savez_compressed(b, tokens=np.arange(6, dtype=np.int64).reshape(1, 6),
    /// x=np.array([[1.5, -2, 3]], dtype=np.float32), sr=np.int64(16000)) — written by NumPy (deflated, zip64 extras).</summary>
    private const string NumpyCompressed =
        "UEsDBBQAAAAIAAAAIQBZWfpOVgAAALAAAAAKABQAdG9rZW5zLm5weQEAEACwAAAAAAAAAFYAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNpoa6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkahjoKZpo6CrUKZAMuBihghNJMUJoZSrNAaVYoDQBQSwMEFAAAAAgAAAAhAC6/9xpRAAAAjAAAAAUAFAB4Lm5weQEAEACMAAAAAAAAAFEAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNmoq6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkahjoKxpo6CrUKZAMuBoYD9gxAgoHBwQEAUEsDBBQAAAAIAAAAIQDv6lLNRwAAAIgAAAAGABQAc3IubnB5AQAQAIgAAAAAAAAARwAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2mhrqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RqaOgq1ChQBrgY7BjAAAFBLAQIUAxQAAAAIAAAAIQBZWfpOVgAAALAAAAAKAAAAAAAAAAAAAACAAQAAAAB0b2tlbnMubnB5UEsBAhQDFAAAAAgAAAAhAC6/9xpRAAAAjAAAAAUAAAAAAAAAAAAAAIABkgAAAHgubnB5UEsBAhQDFAAAAAgAAAAhAO/qUs1HAAAAiAAAAAYAAAAAAAAAAAAAAIABGgEAAHNyLm5weVBLBQYAAAAAAwADAJ8AAACZAQAAAAA=";

    /// <summary>np.savez(b, a=np.array([1, 2], dtype=np.uint8)) — stored (no compression).</summary>
    private const string NumpyStored =
        "UEsDBBQAAAAAAAAAIQBiAmVfggAAAIIAAAAFABQAYS5ucHkBABAAggAAAAAAAACCAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJ3x1MScsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAQJQSwECFAMUAAAAAAAAACEAYgJlX4IAAACCAAAABQAAAAAAAAAAAAAAgAEAAAAAYS5ucHlQSwUGAAAAAAEAAQAzAAAAuQAAAAAA";

    private static IReadOnlyDictionary<string, Tensor> FromBase64(string b64) =>
        Npz.Read(new MemoryStream(Convert.FromBase64String(b64)), "test.npz");

    [Fact]
    public void Read_NumpyCompressed_KeepsNamesDtypesShapesAndValues()
    {
        var a = FromBase64(NumpyCompressed);
        Assert.Equal(["tokens", "x", "sr"], a.Keys);
        Assert.Equal(DType.Int64, a["tokens"].DType);
        Assert.Equal([1, 6], a["tokens"].Shape);
        Assert.Equal([0L, 1, 2, 3, 4, 5], a["tokens"].ToInt64Array());
        Assert.Equal(DType.Float32, a["x"].DType);
        Assert.Equal([1.5f, -2f, 3f], a["x"].ToFloatArray());
        Assert.Empty(a["sr"].Shape);
        Assert.Equal(16000L, a["sr"].GetInt64(0));
    }

    [Fact]
    public void Read_NumpyStored_ReadsUInt8()
    {
        var a = FromBase64(NumpyStored)["a"];
        Assert.Equal(DType.UInt8, a.DType);
        Assert.Equal([1L, 2], a.ToInt64Array());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_ThenRead_RoundTrips(bool compress)
    {
        using var tmp = new TempDir();
        string path = tmp.File("s.npz");
        Npz.Write(path, new Dictionary<string, Tensor> { ["h"] = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 1, 2), ["n"] = Tensor.Scalar(7L) }, compress);
        var a = Npz.Read(path);
        Assert.Equal([2, 1, 2], a["h"].Shape);
        Assert.Equal([1f, 2, 3, 4], a["h"].ToFloatArray());
        Assert.Equal(7L, a["n"].GetInt64(0));
    }

    [Fact]
    public void Read_NotAZip_ErrorNamesFile()
    {
        var e = Assert.Throws<LowBitException>(() => Npz.Read(new MemoryStream([1, 2, 3, 4, 5]), "bad.npz"));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.StartsWith("bad.npz: not a valid .npz (zip) archive", e.Message);
    }

    [Fact]
    public void Read_EntryNotNpy_ErrorNamesEntry()
    {
        var ms = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(ms, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        using (var w = new StreamWriter(zip.CreateEntry("readme.txt").Open())) w.Write("hi");
        ms.Position = 0;
        var e = Assert.Throws<LowBitException>(() => Npz.Read(ms, "m.npz"));
        Assert.Equal("m.npz: entry 'readme.txt' is not a .npy array (an .npz holds only NAME.npy entries)", e.Message);
    }

    [Fact]
    public void Read_Missing_FileNotFound()
    {
        var e = Assert.Throws<LowBitException>(() => Npz.Read("/nonexistent/x.npz"));
        Assert.Equal(ErrorKind.FileNotFound, e.Kind);
    }
}
