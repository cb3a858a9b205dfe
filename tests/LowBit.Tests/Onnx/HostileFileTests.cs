using Google.Protobuf;
using LowBit.Onnx;
using Onnx;
using static LowBit.Tests.Onnx.ModelBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace LowBit.Tests.Onnx;

/// <summary>
/// Bad and hostile files fail fast with one-line <see cref="LowBitException"/>s of the right kind that name the file, and
/// never allocate for what a header merely claims: loads of small files stay under 1 MB of allocation beyond the file.
/// </summary>
public class HostileFileTests
{
    private static LowBitException LoadFails(string path, ErrorKind kind)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<LowBitException>(() => OnnxImporter.Load(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(kind, e.Kind);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains(Path.GetFileName(path), e.Message);
        long size = File.Exists(path) ? new FileInfo(path).Length : 0;
        Assert.True(allocated < size * 4 + (1 << 20), $"loading a {size}-byte file allocated {allocated} bytes");
        return e;
    }

    private static string SaveGraph(ModelDir dir, GraphProto g, string file = "model.onnx") => Save(MakeModel(g), dir.Path, file);

    private static GraphProto WithInitializer(TensorProto init) =>
        MakeGraph("g", [MakeNode("Add", ["x", init.Name], ["y"], "add")], [MakeValue("x", DataType.Float, 2)], [MakeValue("y", DataType.Float, 2)], init);

    [Fact]
    public void Load_MissingFile_FileNotFound()
    {
        using var dir = new ModelDir();
        LoadFails(dir.File("nope.onnx"), ErrorKind.FileNotFound);
    }

    [Fact]
    public void Load_Directory_FileNotFound()
    {
        using var dir = new ModelDir();
        Directory.CreateDirectory(dir.File("folder.onnx"));
        Assert.Contains("directory", LoadFails(dir.File("folder.onnx"), ErrorKind.FileNotFound).Message);
    }

    [Fact]
    public void Load_EmptyFile_InvalidModel()
    {
        using var dir = new ModelDir();
        File.WriteAllBytes(dir.File("empty.onnx"), []);
        LoadFails(dir.File("empty.onnx"), ErrorKind.InvalidModel);
    }

    [Fact]
    public void Load_TruncatedModel_InvalidModel()
    {
        using var dir = new ModelDir();
        var bytes = MakeModel(WithInitializer(MakeRawFloats("w", [512], new float[512]))).ToByteArray();
        File.WriteAllBytes(dir.File("cut.onnx"), bytes[..(bytes.Length / 2)]);
        LoadFails(dir.File("cut.onnx"), ErrorKind.InvalidModel);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Load_RandomBytes_InvalidModel(int seed)
    {
        using var dir = new ModelDir();
        var bytes = new byte[4096];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(dir.File("noise.onnx"), bytes);
        LoadFails(dir.File("noise.onnx"), ErrorKind.InvalidModel);
    }

    [Fact]
    public void Load_TextFile_InvalidModel()
    {
        using var dir = new ModelDir();
        File.WriteAllText(dir.File("readme.onnx"), "This is not a model.\nIt is a text file with a few lines.\n");
        LoadFails(dir.File("readme.onnx"), ErrorKind.InvalidModel);
    }

    [Fact]
    public void Load_DimOf2Pow40_InvalidModelWithoutAllocating()
    {
        using var dir = new ModelDir();
        var path = SaveGraph(dir, WithInitializer(MakeTensor("w", DataType.Float, [1L << 40])));
        Assert.Contains("out of range", LoadFails(path, ErrorKind.InvalidModel).Message);
    }

    [Fact]
    public void Load_ShapeTooLargeInProduct_InvalidModel()
    {
        using var dir = new ModelDir();
        var path = SaveGraph(dir, WithInitializer(MakeTensor("w", DataType.Float, [1L << 20, 1L << 20])));
        LoadFails(path, ErrorKind.InvalidModel);
    }

    [Fact]
    public void Load_RawDataShorterThanShape_InvalidModel()
    {
        using var dir = new ModelDir();
        var w = MakeTensor("w", DataType.Float, [1000, 1000]);
        w.RawData = ByteString.CopyFrom(new byte[16]);
        var e = LoadFails(SaveGraph(dir, WithInitializer(w)), ErrorKind.InvalidModel);
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void Load_TypedFieldShorterThanShape_InvalidModel()
    {
        using var dir = new ModelDir();
        LoadFails(SaveGraph(dir, WithInitializer(MakeFloats("w", [1000, 1000], 1, 2, 3))), ErrorKind.InvalidModel);
    }

    [Fact]
    public void Load_NegativeDim_InvalidModel()
    {
        using var dir = new ModelDir();
        LoadFails(SaveGraph(dir, WithInitializer(MakeFloats("w", [-2], 1, 2))), ErrorKind.InvalidModel);
    }

    private static TensorProto External(string name, long[] dims, string location, string? offset = null, string? length = null)
    {
        var t = MakeTensor(name, DataType.Float, dims);
        t.DataLocation = TensorProto.Types.DataLocation.External;
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is not null) t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset });
        if (length is not null) t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length });
        return t;
    }

    [Fact]
    public void Load_ExternalLengthBeyondFile_InvalidModel()
    {
        using var dir = new ModelDir();
        File.WriteAllBytes(dir.File("w.bin"), new byte[64]);
        var path = SaveGraph(dir, WithInitializer(External("w", [1L << 28], "w.bin", "0", (1L << 30).ToString())));
        Assert.Contains("holds 64", LoadFails(path, ErrorKind.InvalidModel).Message);
    }

    [Fact]
    public void Load_ExternalLengthShorterThanShape_InvalidModel()
    {
        using var dir = new ModelDir();
        File.WriteAllBytes(dir.File("w.bin"), new byte[64]);
        LoadFails(SaveGraph(dir, WithInitializer(External("w", [1000], "w.bin", "0", "64"))), ErrorKind.InvalidModel);
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("abc")]
    [InlineData("99999999999999999999999")]
    public void Load_ExternalOffsetNotANumber_InvalidModel(string offset)
    {
        using var dir = new ModelDir();
        File.WriteAllBytes(dir.File("w.bin"), new byte[8]);
        LoadFails(SaveGraph(dir, WithInitializer(External("w", [2], "w.bin", offset, "8"))), ErrorKind.InvalidModel);
    }

    [Fact]
    public void Load_ExternalAbsolutePath_UnsafePath()
    {
        using var dir = new ModelDir();
        File.WriteAllBytes(dir.File("w.bin"), new byte[8]);
        LoadFails(SaveGraph(dir, WithInitializer(External("w", [2], dir.File("w.bin")))), ErrorKind.UnsafePath);
    }

    [Theory]
    [InlineData("../w.bin")]
    [InlineData("sub/../../w.bin")]
    public void Load_ExternalPathEscapingFolder_UnsafePath(string location)
    {
        using var dir = new ModelDir();
        File.WriteAllBytes(dir.File("w.bin"), new byte[8]);
        var path = SaveGraph(dir, WithInitializer(External("w", [2], location)), "model.onnx");
        Directory.CreateDirectory(dir.File("inner"));
        File.Move(path, dir.File("inner/model.onnx"));
        LoadFails(dir.File("inner/model.onnx"), ErrorKind.UnsafePath);
    }

    [Fact]
    public void Load_ExternalSymlinkLeavingFolder_UnsafePath()
    {
        using var dir = new ModelDir();
        Directory.CreateDirectory(dir.File("inner"));
        File.WriteAllBytes(dir.File("secret.bin"), new byte[8]);
        File.CreateSymbolicLink(dir.File("inner/w.bin"), dir.File("secret.bin"));
        var path = SaveGraph(dir, WithInitializer(External("w", [2], "w.bin")), "model.onnx");
        File.Move(path, dir.File("inner/model.onnx"));
        LoadFails(dir.File("inner/model.onnx"), ErrorKind.UnsafePath);
    }

    [Fact]
    public void Load_ExternalFileMissing_FileNotFound()
    {
        using var dir = new ModelDir();
        LoadFails(SaveGraph(dir, WithInitializer(External("w", [2], "absent.bin"))), ErrorKind.FileNotFound);
    }

    [Fact]
    public void Load_NodeReadsUndefinedValue_InvalidModelNamingIt()
    {
        using var dir = new ModelDir();
        var g = MakeGraph("g", [MakeNode("Add", ["x", "ghost"], ["y"], "adder")], [MakeValue("x", DataType.Float, 2)], [MakeValue("y", DataType.Float, 2)]);
        var e = LoadFails(SaveGraph(dir, g), ErrorKind.InvalidModel);
        Assert.Contains("ghost", e.Message);
        Assert.Contains("adder", e.Message);
    }

    [Fact]
    public void Load_DuplicateOutputNames_InvalidModel()
    {
        using var dir = new ModelDir();
        var g = MakeGraph("g", [MakeNode("Neg", ["x"], ["y"], "a"), MakeNode("Abs", ["x"], ["y"], "b")], [MakeValue("x", DataType.Float, 2)], [MakeValue("y", DataType.Float, 2)]);
        Assert.Contains("more than once", LoadFails(SaveGraph(dir, g), ErrorKind.InvalidModel).Message);
    }

    [Fact]
    public void Load_InitializerAndConstantWithSameName_InvalidModel()
    {
        using var dir = new ModelDir();
        var g = WithInitializer(MakeFloats("w", [2], 1, 2));
        g.Node.Add(MakeNode("Constant", [], ["w"], "shadow", MakeAttr("value", MakeFloats("", [2], 3, 4))));
        Assert.Contains("more than once", LoadFails(SaveGraph(dir, g), ErrorKind.InvalidModel).Message);
    }

    [Fact]
    public void Load_IrVersionFromTheFuture_InvalidModel()
    {
        using var dir = new ModelDir();
        var m = MakeModel(MakeGraph("g", [], [MakeValue("x", DataType.Float, 2)], [MakeValue("x", DataType.Float, 2)]), ir: 99);
        LoadFails(Save(m, dir.Path), ErrorKind.InvalidModel);
    }

    [Fact]
    public void Load_UnknownElementType_InvalidModel()
    {
        using var dir = new ModelDir();
        LoadFails(SaveGraph(dir, WithInitializer(MakeTensor("w", (DataType)77, [2]))), ErrorKind.InvalidModel);
    }
}
