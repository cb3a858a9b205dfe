using Google.Protobuf;
using LowBit.Graph;
using LowBit.Tensors;
using Onnx;

namespace LowBit.Onnx;

/// <summary>
/// Writes a <see cref="Graph.Graph"/> as an ONNX ModelProto that ONNX Runtime loads. The model's opsets and IR version
/// are written as imported, never bumped: ONNX Runtime 1.31 loads every IR version from 1 to 12 with any opset and
/// element type (checked for IR 1–12 × opsets 8–21, int4 and float8 included). IR &lt; 4 lists the main graph's
/// initializers as graph inputs, as that IR requires; ONNX Runtime applies that rule to subgraphs too, where an If
/// branch may have no inputs, so subgraph initializers of an IR &lt; 4 model are written as Constant nodes.
/// </summary>
public static class OnnxExporter
{
    /// <summary>Protobuf messages are limited to 2 GB; a model whose initializers approach this goes to external data.
    /// The margin covers the graph structure around the weights.</summary>
    private const long ProtobufLimit = (2L << 30) - (64L << 20);

    /// <summary>Tensors smaller than this stay inside the model file when external data is written.</summary>
    private const int ExternalThreshold = 1024;

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
            Graph = ToProto(g, g.Metadata.IrVersion, isMain: true),
        };
        foreach (var (domain, version) in g.Opsets.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        foreach (var (k, v) in g.Metadata.Properties) m.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return m;
    }

    private static GraphProto ToProto(Graph.Graph g, long irVersion, bool isMain = false)
    {
        var gp = new GraphProto { Name = g.Name, DocString = g.DocString };
        var inputNames = new HashSet<string>();
        foreach (var v in g.Inputs)
        {
            gp.Input.Add(ToProto(v));
            inputNames.Add(v.Name);
        }
        foreach (var (name, t) in g.Initializers)
        {
            if (!isMain && irVersion < 4)
            {
                // ONNX Runtime applies "every initializer is a graph input" (IR < 4) to subgraphs too, yet an If branch
                // must have no inputs: a subgraph constant is written as a Constant node instead (import folds it back).
                var c = new NodeProto { OpType = "Constant", Name = name + "_const" };
                c.Output.Add(name);
                c.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = TensorProtoConverter.ToProto(t, name) });
                gp.Node.Add(c);
                continue;
            }
            gp.Initializer.Add(TensorProtoConverter.ToProto(t, name));
            if (isMain && irVersion < 4 && inputNames.Add(name))
                gp.Input.Add(ToProto(new ValueInfo(name, t.DType, t.Shape.Select(d => Dim.Known(d)).ToArray())));
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

    /// <summary>Serializes to bytes. Models whose weights exceed the 2 GB protobuf limit need <see cref="Save"/> (which then
    /// writes external data).</summary>
    public static byte[] ToBytes(Graph.Graph g)
    {
        if (InitializerBytes(g) >= ProtobufLimit)
            throw new LowBitException(ErrorKind.InvalidModel, $"model '{g.Name}' holds {InitializerBytes(g) >> 20} MB of weights, over the 2 GB protobuf limit: save it to a file (weights go to external data)");
        return ToProto(g).ToByteArray();
    }

    /// <summary>
    /// Writes the model atomically: to a temporary file beside <paramref name="path"/>, then moved over it, so an existing
    /// file is never left half-written or replaced by a partial one. Main-graph initializers of ≥ 1 KB go to
    /// "&lt;file name&gt;.data" (ONNX external data, offsets in file order, 64-byte aligned) when the weights approach the
    /// 2 GB protobuf limit or <paramref name="externalData"/> is set; that file is written (to a temporary name) before the
    /// model and moved into place just before it.
    /// </summary>
    public static void Save(Graph.Graph g, string path, bool externalData = false)
    {
        bool external = externalData || InitializerBytes(g) >= ProtobufLimit;
        var model = ToProto(g);
        if (!external)
        {
            AtomicFile.Write(path, s => model.WriteTo(s));
            return;
        }
        string full = Path.GetFullPath(path);
        string dataPath = full + ".data";
        string dataTmp = AtomicFile.TempPath(dataPath);
        try
        {
            using (var fs = new FileStream(dataTmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                MoveInitializersToExternal(model, Path.GetFileName(dataPath), fs);
                fs.Flush(flushToDisk: true);
            }
            AtomicFile.Write(full, s => model.WriteTo(s), beforeCommit: () => File.Move(dataTmp, dataPath, overwrite: true));
        }
        finally
        {
            if (File.Exists(dataTmp)) File.Delete(dataTmp);
        }
    }

    /// <summary>Bytes of all initializers, subgraphs included (long: the sum may exceed 2 GB).</summary>
    private static long InitializerBytes(Graph.Graph g)
    {
        long b = 0;
        foreach (var t in g.Initializers.Values)
            b += t.DType == DType.String ? t.AsSpan<string>().ToArray().Sum(s => (long)(s?.Length ?? 0)) : t.DType.StorageLength(t.Length) * t.DType.StorageElementSize();
        foreach (var n in g.Nodes)
            foreach (var sub in n.Subgraphs()) b += InitializerBytes(sub);
        return b;
    }

    private static void MoveInitializersToExternal(ModelProto model, string location, Stream fs)
    {
        foreach (var t in model.Graph.Initializer)
        {
            if (t.RawData.Length < ExternalThreshold) continue;
            // 64-byte alignment lets readers map tensors directly (the offset is free to choose).
            while (fs.Position % 64 != 0) fs.WriteByte(0);
            long offset = fs.Position;
            t.RawData.WriteTo(fs);
            t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = t.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            t.DataLocation = TensorProto.Types.DataLocation.External;
            t.RawData = ByteString.Empty;
        }
    }
}

/// <summary>Writes a file via a temporary sibling and a rename, so readers never see a partial file.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> via a unique temporary sibling; <paramref name="beforeCommit"/> runs after the
    /// content is complete and flushed, just before the rename (to move companion files into place).</summary>
    public static void Write(string path, Action<Stream> write, Action? beforeCommit = null)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        string tmp = TempPath(full);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            beforeCommit?.Invoke();
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>A hidden, unique temporary name in the same folder as <paramref name="path"/> (same file system, so the
    /// final rename is atomic).</summary>
    public static string TempPath(string path)
    {
        string full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }
}
