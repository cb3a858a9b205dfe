using Google.Protobuf;
using LowBit.Graph;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Tensors;
using Onnx;
using static LowBit.Tests.Onnx.ModelBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace LowBit.Tests.Onnx;

/// <summary>Export: what import read is written back, ONNX Runtime loads it, external data and atomic saves.</summary>
public class ExporterTests
{
    private static readonly Dictionary<string, Tensor> X3 = new() { ["x"] = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3) };

    [Theory]
    [InlineData(3L)]
    [InlineData(7L)]
    [InlineData(10L)]
    public void Export_KeepsIrVersionOpsetsAndMetadata(long ir)
    {
        var m = AddWeight(ir, listWeightAsInput: ir <= 3, [1, 2, 3]);
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        m.DocString = "doc";
        m.ModelVersion = 42;
        m.MetadataProps.Add(new StringStringEntryProto { Key = "author", Value = "tests" });
        var back = OnnxExporter.ToProto(OnnxImporter.Load(m.ToByteArray(), null));
        Assert.Equal(ir, back.IrVersion);
        Assert.Equal(m.OpsetImport.OrderBy(o => o.Domain).Select(o => (o.Domain, o.Version)), back.OpsetImport.OrderBy(o => o.Domain).Select(o => (o.Domain, o.Version)));
        Assert.Equal(("doc", 42L, "tests"), (back.DocString, back.ModelVersion, back.MetadataProps.Single().Value));
    }

    [Fact]
    public void Export_Ir3_ListsInitializersAsInputsAndOrtLoadsIt()
    {
        // CNTK-style IR 3 file that does NOT list its initializer as an input; IR 3 requires it, so export adds it.
        var g = OnnxImporter.Load(AddWeight(3, listWeightAsInput: false, [1, 2, 3]).ToByteArray(), null);
        var back = OnnxExporter.ToProto(g);
        Assert.Equal(["x", "w"], back.Graph.Input.Select(i => i.Name));
        using var ort = OrtRunner.FromBytes(back.ToByteArray());
        Assert.Equal([2f, 4f, 6f], ort.Run(X3)["y"].ToFloatArray());
    }

    [Fact]
    public void Export_Ir3WithIf_BranchesGetNoInputs()
    {
        var m = ImporterTests.IfModel(ir: 3);
        var back = OnnxExporter.ToProto(OnnxImporter.Load(m.ToByteArray(), null));
        var ifNode = back.Graph.Node.Single(n => n.OpType == "If");
        Assert.All(ifNode.Attribute, a => Assert.Empty(a.G.Input));
        using var ort = OrtRunner.FromBytes(back.ToByteArray());
        var feeds = new Dictionary<string, Tensor> { ["cond"] = Tensor.FromArray(new[] { true }), ["x"] = Tensor.FromArray(new[] { 1f, 2f }, 2) };
        Assert.Equal([3f, 8f], ort.Run(feeds)["y"].ToFloatArray());
    }

    private static Graph.Graph BigWeightGraph()
    {
        var r = new Random(1);
        var w = new float[3 * 700];
        for (int i = 0; i < w.Length; i++) w[i] = (float)r.NextDouble();
        var g = new Graph.Graph { Name = "ext" };
        g.Metadata.IrVersion = 8;
        g.Opsets = new() { [""] = 13 };
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, 1, 3));
        g.Initializers["w"] = Tensor.FromArray(w, 3, 700);
        g.Initializers["b"] = Tensor.FromArray(new[] { 0.5f }, 1);
        g.Add("MatMul", ["x", "w"], ["m"], "mm");
        g.Add("Add", ["m", "b"], ["y"], "add");
        g.Outputs.Add(ValueInfo.Of("y", DType.Float32, 1, 700));
        return g;
    }

    [Fact]
    public void Save_ExternalData_ReimportsAndOrtLoads()
    {
        using var dir = new ModelDir();
        var g = BigWeightGraph();
        string path = dir.File("net.onnx");
        OnnxExporter.Save(g, path, externalData: true);
        Assert.True(File.Exists(path + ".data"));
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var w = proto.Graph.Initializer.Single(t => t.Name == "w");
        Assert.Equal(TensorProto.Types.DataLocation.External, w.DataLocation);
        Assert.True(w.RawData.IsEmpty);
        Assert.Equal("net.onnx.data", w.ExternalData.Single(e => e.Key == "location").Value);
        // Small tensors stay inline.
        Assert.False(proto.Graph.Initializer.Single(t => t.Name == "b").RawData.IsEmpty);

        var back = OnnxImporter.Load(path);
        Assert.Equal(g.Initializers["w"].ToFloatArray(), back.Initializers["w"].ToFloatArray());
        var x = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(new[] { 1f, -2f, 0.5f }, 1, 3) };
        using var fromFile = OrtRunner.FromFile(path);
        using var inMemory = OrtRunner.FromGraph(g);
        Assert.Equal(inMemory.Run(x)["y"].ToFloatArray(), fromFile.Run(x)["y"].ToFloatArray());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void AtomicWrite_FailingWriter_LeavesExistingFileAndNoTemporaries()
    {
        using var dir = new ModelDir();
        string path = dir.File("model.onnx");
        File.WriteAllText(path, "old content");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]);
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old content", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Save_ExternalDataCannotBePlaced_LeavesExistingModelAndNoTemporaries()
    {
        using var dir = new ModelDir();
        string path = dir.File("net.onnx");
        File.WriteAllText(path, "old model");
        Directory.CreateDirectory(path + ".data"); // the data file cannot replace a directory
        Assert.ThrowsAny<IOException>(() => OnnxExporter.Save(BigWeightGraph(), path, externalData: true));
        Assert.Equal("old model", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Save_OverExistingFile_ReplacesItCompletely()
    {
        using var dir = new ModelDir();
        string path = dir.File("net.onnx");
        File.WriteAllBytes(path, new byte[1 << 20]);
        OnnxExporter.Save(BigWeightGraph(), path);
        var g = OnnxImporter.Load(path);
        Assert.Equal(3 * 700, g.Initializers["w"].Length);
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Export_StringAndInt4Initializers_RoundTrip()
    {
        var g = BigWeightGraph();
        g.Initializers["s"] = Tensor.FromArray(new[] { "a", "bé" }, 2);
        var q = Tensor.Zeros(DType.Int4, 3);
        Int4Packing.Set((byte[])q.Data, 0, -8);
        Int4Packing.Set((byte[])q.Data, 2, 7);
        g.Initializers["q"] = q;
        var back = OnnxImporter.Load(OnnxExporter.ToBytes(g), null);
        Assert.Equal(["a", "bé"], back.Initializers["s"].AsSpan<string>().ToArray());
        Assert.Equal([-8L, 0, 7], back.Initializers["q"].ToInt64Array());
    }
}
