using Google.Protobuf;
using LowBit.Graph;
using LowBit.Tensors;
using Onnx;

namespace LowBit.Onnx;

/// <summary>Writes a <see cref="Graph.Graph"/> as an ONNX ModelProto that ONNX Runtime loads. The model's opsets and
/// IR version are kept (IR &lt; 4 also lists initializers as inputs, as that IR requires).</summary>
public static class OnnxExporter
{
    /// <summary>Initializers at least this large go to an external data file when the model would exceed 2 GB.</summary>
    private const long ProtobufLimit = 2L << 30;

    public static ModelProto ToProto(Graph.Graph g)
    {
        var m = new ModelProto
        {
            IrVersion = g.Metadata.IrVersion,
            ProducerName = g.Metadata.ProducerName,
            ProducerVersion = g.Metadata.ProducerVersion,
            Domain = g.Metadata.Domain,
            ModelVersion = g.Metadata.ModelVersion,
            DocString = g.Metadata.DocString,
            Graph = ToProto(g, g.Metadata.IrVersion),
        };
        foreach (var (domain, version) in g.Opsets.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        foreach (var (k, v) in g.Metadata.Properties) m.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return m;
    }

    private static GraphProto ToProto(Graph.Graph g, long irVersion)
    {
        var gp = new GraphProto { Name = g.Name, DocString = g.DocString };
        foreach (var v in g.Inputs) gp.Input.Add(ToProto(v));
        foreach (var (name, t) in g.Initializers)
        {
            gp.Initializer.Add(TensorProtoConverter.ToProto(t, name));
            if (irVersion < 4) gp.Input.Add(ToProto(new ValueInfo(name, t.DType, t.Shape.Select(d => Dim.Known(d)).ToArray())));
        }
        foreach (var v in g.Outputs) gp.Output.Add(ToProto(v));
        foreach (var v in g.ValueInfos.Values) gp.ValueInfo.Add(ToProto(v));
        foreach (var n in g.Nodes)
        {
            var np = new NodeProto { OpType = n.OpType, Domain = n.Domain, Name = n.Name, DocString = n.DocString };
            np.Input.AddRange(n.Inputs);
            np.Output.AddRange(n.Outputs);
            foreach (var a in n.Attributes.Values) np.Attribute.Add(ToProto(a, irVersion));
            gp.Node.Add(np);
        }
        return gp;
    }

    private static ValueInfoProto ToProto(ValueInfo v)
    {
        var vi = new ValueInfoProto { Name = v.Name, DocString = v.DocString };
        if (v.DType == DType.Undefined) return vi;
        var tt = new TypeProto.Types.Tensor { ElemType = (int)v.DType };
        if (v.Shape is not null)
        {
            tt.Shape = new TensorShapeProto();
            foreach (var d in v.Shape)
            {
                var dim = new TensorShapeProto.Types.Dimension();
                if (d.Value is long val) dim.DimValue = val;
                else if (d.Param is string p) dim.DimParam = p;
                tt.Shape.Dim.Add(dim);
            }
        }
        vi.Type = new TypeProto { TensorType = tt };
        return vi;
    }

    private static AttributeProto ToProto(Attr a, long irVersion)
    {
        var p = new AttributeProto { Name = a.Name, Type = (AttributeProto.Types.AttributeType)a.Type };
        switch (a.Value)
        {
            case float f: p.F = f; break;
            case long l: p.I = l; break;
            case string s: p.S = ByteString.CopyFromUtf8(s); break;
            case Tensor t: p.T = TensorProtoConverter.ToProto(t, ""); break;
            case Graph.Graph g: p.G = ToProto(g, irVersion); break;
            case float[] fs: p.Floats.AddRange(fs); break;
            case long[] ls: p.Ints.AddRange(ls); break;
            case string[] ss: p.Strings.AddRange(ss.Select(ByteString.CopyFromUtf8)); break;
            case Tensor[] ts: p.Tensors.AddRange(ts.Select(t => TensorProtoConverter.ToProto(t, ""))); break;
            case Graph.Graph[] gs: p.Graphs.AddRange(gs.Select(g => ToProto(g, irVersion))); break;
            case TypeProto tp: p.Tp = tp; break;
            case TypeProto[] tps: p.TypeProtos.AddRange(tps); break;
        }
        return p;
    }

    /// <summary>Serializes to bytes (models over 2 GB need <see cref="Save"/> with external data).</summary>
    public static byte[] ToBytes(Graph.Graph g) => ToProto(g).ToByteArray();

    /// <summary>
    /// Writes the model atomically: to a temporary file beside <paramref name="path"/>, then moved over it, so an existing
    /// file is never left half-written. Initializers go to "&lt;name&gt;.data" when the model would exceed 2 GB or
    /// <paramref name="externalData"/> is set.
    /// </summary>
    public static void Save(Graph.Graph g, string path, bool externalData = false)
    {
        var model = ToProto(g);
        long total = model.CalculateSize();
        string? dataFile = null;
        if (externalData || total >= ProtobufLimit)
            dataFile = MoveInitializersToExternal(model, path);
        AtomicFile.Write(path, s => model.WriteTo(s));
        if (dataFile is not null) File.Move(dataFile, path + ".data", overwrite: true);
    }

    private static string MoveInitializersToExternal(ModelProto model, string path)
    {
        string tmp = path + ".data.tmp";
        string location = Path.GetFileName(path) + ".data";
        using var fs = File.Create(tmp);
        foreach (var t in model.Graph.Initializer)
        {
            if (t.RawData.Length < 1024) continue;
            long offset = fs.Position;
            t.RawData.WriteTo(fs);
            t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
            t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = t.RawData.Length.ToString() });
            t.DataLocation = TensorProto.Types.DataLocation.External;
            t.RawData = ByteString.Empty;
        }
        return tmp;
    }
}

/// <summary>Writes a file via a temporary sibling and a rename, so readers never see a partial file.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir ?? ".", "." + Path.GetFileName(full) + "." + Environment.ProcessId + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }
}
