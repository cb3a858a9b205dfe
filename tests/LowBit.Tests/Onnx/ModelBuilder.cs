using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace LowBit.Tests.Onnx;

/// <summary>Builds ONNX ModelProto objects in code (OnnxSharp's generated classes), so importer tests need no binaries.</summary>
public static class ModelBuilder
{
    public static ModelProto MakeModel(GraphProto graph, long ir = 8, long opset = 13)
    {
        var m = new ModelProto { IrVersion = ir, ProducerName = "LowBit.Tests", Graph = graph };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return m;
    }

    public static GraphProto MakeGraph(string name, IEnumerable<NodeProto> nodes, IEnumerable<ValueInfoProto> inputs, IEnumerable<ValueInfoProto> outputs,
        params TensorProto[] initializers)
    {
        var g = new GraphProto { Name = name };
        g.Node.AddRange(nodes);
        g.Input.AddRange(inputs);
        g.Output.AddRange(outputs);
        g.Initializer.AddRange(initializers);
        return g;
    }

    public static NodeProto MakeNode(string op, string[] inputs, string[] outputs, string name = "", params AttributeProto[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attrs);
        return n;
    }

    /// <summary>A tensor value: each dim is a long (known), a string (symbolic) or null (unknown).</summary>
    public static ValueInfoProto MakeValue(string name, DataType type, params object?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (d is long l) dim.DimValue = l;
            else if (d is int i) dim.DimValue = i;
            else if (d is string s) dim.DimParam = s;
            shape.Dim.Add(dim);
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    public static TensorProto MakeTensor(string name, DataType type, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>A float tensor stored in float_data.</summary>
    public static TensorProto MakeFloats(string name, long[] dims, params float[] values)
    {
        var t = MakeTensor(name, DataType.Float, dims);
        t.FloatData.AddRange(values);
        return t;
    }

    /// <summary>A float tensor stored as little-endian raw_data.</summary>
    public static TensorProto MakeRawFloats(string name, long[] dims, params float[] values)
    {
        var t = MakeTensor(name, DataType.Float, dims);
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    public static AttributeProto MakeAttr(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    public static AttributeProto MakeAttr(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };
    public static AttributeProto MakeAttr(string name, TensorProto v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = v };
    public static AttributeProto MakeAttr(string name, GraphProto v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = v };

    public static AttributeProto MakeAttr(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    /// <summary>y = x + w with w an initializer: the smallest model with a weight.</summary>
    public static ModelProto AddWeight(long ir, bool listWeightAsInput, float[] w)
    {
        var inputs = new List<ValueInfoProto> { MakeValue("x", DataType.Float, w.Length) };
        if (listWeightAsInput) inputs.Add(MakeValue("w", DataType.Float, w.Length));
        var g = MakeGraph("add", [MakeNode("Add", ["x", "w"], ["y"], "add")], inputs, [MakeValue("y", DataType.Float, w.Length)],
            MakeFloats("w", [w.Length], w));
        return MakeModel(g, ir, ir <= 3 ? 8 : 13);
    }

    public static string Save(ModelProto m, string dir, string file = "model.onnx")
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, file);
        File.WriteAllBytes(path, m.ToByteArray());
        return path;
    }
}

/// <summary>A temporary folder deleted when disposed.</summary>
public sealed class ModelDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("lowbit-test-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
