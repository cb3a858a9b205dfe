using System.Reflection;
using System.Text;
using LowBit.Data;
using LowBit.Tensors;

namespace LowBit.Tests.Data;

/// <summary>.npy reading and writing, against files written by NumPy 1.24 (fixtures/make_fixtures.py). All comparisons are
/// exact: the format stores raw IEEE/integer bytes, so any difference is a bug.</summary>
public class NpyTests
{
    private static readonly string Fixtures = Path.Combine(
        typeof(NpyTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!,
        "tests", "LowBit.Tests", "Data", "fixtures");

    private static string Fixture(string name) => Path.Combine(Fixtures, name);

    public static IEnumerable<object[]> NumpyFiles() => new[]
    {
        new object[] { "float16", DType.Float16, new[] { 0.0, 1.5, -2.25, 65504.0 } },
        new object[] { "float32", DType.Float32, new[] { 0.0, 1.5, -2.25, (double)float.MaxValue } },
        new object[] { "float64", DType.Float64, new[] { 0.0, 1.5, -2.25, 1e300 } },
        new object[] { "int8", DType.Int8, new[] { 0.0, 1, -128, 127 } },
        new object[] { "uint8", DType.UInt8, new[] { 0.0, 1, 128, 255 } },
        new object[] { "int16", DType.Int16, new[] { 0.0, 1, -32768, 32767 } },
        new object[] { "uint16", DType.UInt16, new[] { 0.0, 1, 32768, 65535 } },
        new object[] { "int32", DType.Int32, new[] { 0.0, 1, int.MinValue, int.MaxValue } },
        new object[] { "uint32", DType.UInt32, new[] { 0.0, 1, 2147483648.0, uint.MaxValue } },
        new object[] { "bool", DType.Bool, new[] { 0.0, 1, 1, 0 } },
    };

    [Theory]
    [MemberData(nameof(NumpyFiles))]
    public void Read_NumpyFile_GivesDTypeShapeAndValues(string name, DType dtype, double[] expected)
    {
        var t = Npy.Read(Fixture(name + ".npy"));
        Assert.Equal(dtype, t.DType);
        Assert.Equal(new[] { 2, 2 }, t.Shape);
        Assert.Equal(expected, t.ToDoubleArray());
    }

    [Fact]
    public void Read_NumpyInt64AndUInt64_KeepsExtremesExactly()
    {
        Assert.Equal(new[] { 0L, 1, long.MinValue, long.MaxValue }, Npy.Read(Fixture("int64.npy")).AsSpan<long>().ToArray());
        Assert.Equal(new ulong[] { 0, 1, 1UL << 63, ulong.MaxValue }, Npy.Read(Fixture("uint64.npy")).AsSpan<ulong>().ToArray());
    }

    [Theory]
    [InlineData("float16")]
    [InlineData("float32")]
    [InlineData("int8")]
    [InlineData("uint64")]
    [InlineData("bool")]
    [InlineData("scalar_f32")]
    [InlineData("empty_0x3_f32")]
    public void Write_ArrayReadFromNumpy_IsByteIdenticalToNumpysFile(string name)
    {
        var path = Fixture(name + ".npy");
        var ms = new MemoryStream();
        Npy.Write(ms, Npy.Read(path));
        Assert.Equal(File.ReadAllBytes(path), ms.ToArray());
    }

    [Fact]
    public void Read_Scalar_HasRankZeroAndOneElement()
    {
        var t = Npy.Read(Fixture("scalar_f32.npy"));
        Assert.Empty(t.Shape);
        Assert.Equal(3.5f, t.AsSpan<float>()[0]);
    }

    [Fact]
    public void Read_ZeroSizeArray_KeepsShape()
    {
        var t = Npy.Read(Fixture("empty_0x3_f32.npy"));
        Assert.Equal(new[] { 0, 3 }, t.Shape);
        Assert.Equal(0, t.Length);
    }

    [Theory]
    [InlineData("v2_f32")]
    [InlineData("v3_f32")]
    public void Read_FormatVersion2And3_ReadsData(string name)
    {
        var t = Npy.Read(Fixture(name + ".npy"));
        Assert.Equal(new[] { 3, 2 }, t.Shape);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, t.ToFloatArray());
    }

    [Fact]
    public void Read_BigEndian_IsConvertedToNativeValues()
    {
        Assert.Equal(new[] { 1.5, -2.0, 3.25 }, Npy.Read(Fixture("bigendian_f64.npy")).AsSpan<double>().ToArray());
        Assert.Equal(new[] { 1, -2, 70000 }, Npy.Read(Fixture("bigendian_i32.npy")).AsSpan<int>().ToArray());
    }

    [Fact]
    public void Read_FortranOrder_FailsNamingTheFix()
    {
        var e = Assert.Throws<LowBitException>(() => Npy.Read(Fixture("fortran_2x3_f32.npy")));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains("Fortran", e.Message);
        Assert.Contains("ascontiguousarray", e.Message);
    }

    [Fact]
    public void Read_ComplexDType_FailsNamingTheDType()
    {
        var e = Assert.Throws<LowBitException>(() => Npy.Read(Fixture("complex64.npy")));
        Assert.Contains("'<c8' (complex)", e.Message);
    }

    [Fact]
    public void Read_MissingFile_IsFileNotFound()
    {
        var e = Assert.Throws<LowBitException>(() => Npy.Read(Path.Combine(Fixtures, "no-such.npy")));
        Assert.Equal(ErrorKind.FileNotFound, e.Kind);
    }

    public static IEnumerable<object[]> RoundTripTensors() => new[]
    {
        new object[] { Tensor.FromArray(new float[] { 1, -2, float.NaN, float.NegativeInfinity, 1e-45f, 0 }, 2, 3) },
        new object[] { Tensor.FromArray(new Half[] { (Half)1.5, Half.NaN, Half.MinValue }, 3) },
        new object[] { Tensor.FromArray(new double[] { Math.PI }) },
        new object[] { Tensor.FromArray(new sbyte[] { -128, 127 }, 2, 1, 1) },
        new object[] { Tensor.FromArray(new byte[] { 0, 255 }, 1, 2) },
        new object[] { Tensor.FromArray(new short[] { short.MinValue }, 1) },
        new object[] { Tensor.FromArray(new ushort[] { ushort.MaxValue }, 1) },
        new object[] { Tensor.FromArray(new int[0], 4, 0) },
        new object[] { Tensor.FromArray(new uint[] { uint.MaxValue, 7 }, 2) },
        new object[] { Tensor.FromArray(new long[] { long.MinValue, 5 }, 2) },
        new object[] { Tensor.FromArray(new ulong[] { ulong.MaxValue }, 1, 1, 1, 1) },
        new object[] { Tensor.FromArray(new[] { true, false, true }, 3) },
    };

    [Theory]
    [MemberData(nameof(RoundTripTensors))]
    public void WriteThenRead_EveryDType_RoundTripsBitExactly(Tensor t)
    {
        var ms = new MemoryStream();
        Npy.Write(ms, t);
        Assert.Equal(0, (ms.Length - t.RawBytes().Length) % 64);
        ms.Position = 0;
        var back = Npy.Read(ms);
        Assert.Equal(t.DType, back.DType);
        Assert.Equal(t.Shape, back.Shape);
        Assert.Equal(t.RawBytes().ToArray(), back.RawBytes().ToArray());
    }

    [Fact]
    public void Write_ToPath_ReplacesFileAtomicallyAndLeavesNoTemporary()
    {
        var dir = Directory.CreateTempSubdirectory("npy-");
        try
        {
            var path = Path.Combine(dir.FullName, "a.npy");
            Npy.Write(path, Tensor.FromArray(new float[] { 1, 2 }, 2));
            Npy.Write(path, Tensor.FromArray(new float[] { 3 }, 1));
            Assert.Equal(new float[] { 3 }, Npy.Read(path).ToFloatArray());
            Assert.Single(Directory.GetFiles(dir.FullName));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Write_DTypeNumpyLacks_FailsNamingIt()
    {
        var t = Tensor.FromStorage(DType.BFloat16, new ushort[2], 2);
        var e = Assert.Throws<LowBitException>(() => Npy.Write(new MemoryStream(), t));
        Assert.Contains("bfloat16", e.Message);
    }

    private static byte[] Handmade(string dict, byte major = 1, int dataBytes = 0, long? claimedHeaderLen = null)
    {
        var header = Encoding.ASCII.GetBytes(dict + "\n");
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
        ms.WriteByte(major);
        ms.WriteByte(0);
        long len = claimedHeaderLen ?? header.Length;
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)len));
        else ms.Write(BitConverter.GetBytes((uint)len));
        ms.Write(header);
        ms.Write(new byte[dataBytes]);
        return ms.ToArray();
    }

    private static LowBitException ReadFails(byte[] bytes)
    {
        var e = Assert.Throws<LowBitException>(() => Npy.Read(new MemoryStream(bytes), "bad.npy"));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.StartsWith("bad.npy: ", e.Message);
        return e;
    }

    [Fact]
    public void Read_HeaderClaiming2Pow40Elements_FailsBeforeAllocating()
    {
        var e = ReadFails(Handmade("{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576), }", dataBytes: 16));
        Assert.Contains("more than", e.Message);
    }

    [Fact]
    public void Read_HeaderClaimingMoreBytesThanFileHolds_FailsFast()
    {
        var e = ReadFails(Handmade("{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000), }", dataBytes: 64));
        Assert.Contains("8000000 bytes", e.Message);
    }

    [Fact]
    public void Read_HeaderLengthBeyondFile_FailsFast()
    {
        var e = ReadFails(Handmade("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", major: 2, claimedHeaderLen: 900_000));
        Assert.Contains("header claims", e.Message);
    }

    [Fact]
    public void Read_TruncatedDataOnUnseekableStream_FailsAsTruncated()
    {
        var bytes = Handmade("{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }", dataBytes: 12);
        var e = Assert.Throws<LowBitException>(() => Npy.Read(new NonSeekable(bytes), "pipe"));
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData("not numpy at all", "magic")]
    [InlineData("{'descr': '<f4', 'shape': (2,), }", "fortran_order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "out of range")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "unexpected key")]
    [InlineData("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", "structured")]
    [InlineData("{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }", "no byte order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "header ends early")]
    [InlineData("{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", "expected '}'")]
    public void Read_MalformedHeader_FailsWithReason(string dict, string reason)
    {
        var bytes = dict.StartsWith('{') ? Handmade(dict, dataBytes: 8) : Encoding.ASCII.GetBytes(dict);
        Assert.Contains(reason, ReadFails(bytes).Message);
    }

    [Fact]
    public void Read_Python2LongSuffixInShape_IsAccepted()
    {
        var t = Npy.Read(new MemoryStream(Handmade("{'descr': '<i2', 'fortran_order': False, 'shape': (2L, 1L), }", dataBytes: 4)));
        Assert.Equal(new[] { 2, 1 }, t.Shape);
    }

    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => base.Position; set => throw new NotSupportedException(); }
    }
}
