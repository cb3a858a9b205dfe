using Google.Protobuf;
using LowBit.Graph;
using LowBit.Tensors;
using Onnx;

namespace LowBit.Onnx;

/// <summary>
/// Reads ONNX files into a <see cref="Graph.Graph"/>. Handles what real files contain: IR 3 initializers not listed as
/// inputs, weights in Constant nodes (moved to initializers), raw_data and typed fields, external data (relative to the
/// model, never escaping its folder), unsorted nodes (sorted; cycles are errors), symbolic dims, and subgraphs.
/// </summary>
public static class OnnxImporter
{
    public static Graph.Graph Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LowBitException(ErrorKind.FileNotFound, $"{path}: file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LowBitException(ErrorKind.FileNotFound, $"{path}: cannot read ({e.Message})");
        }
        return Load(bytes, Path.GetDirectoryName(Path.GetFullPath(path)), path);
    }

    /// <summary>Parses model bytes. <paramref name="baseDir"/> resolves external data; null refuses it.</summary>
    public static Graph.Graph Load(byte[] bytes, string? baseDir, string displayName = "model")
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: not a valid ONNX model ({e.Message.Split('\n')[0]})");
        }
        if (model.Graph is null || model.IrVersion <= 0)
            throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: not an ONNX model (no graph or IR version)");
        if (model.IrVersion > 11)
            throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: IR version {model.IrVersion} is newer than supported (≤ 10)");

        var opsets = new Dictionary<string, long>();
        foreach (var o in model.OpsetImport) opsets[o.Domain == "ai.onnx" ? "" : o.Domain] = o.Version;
        if (!opsets.ContainsKey("")) opsets[""] = model.IrVersion <= 3 ? 8 : 1;

        var reader = new Reader(baseDir, displayName, opsets);
        var g = reader.ReadGraph(model.Graph, isTop: true);
        g.Metadata = new ModelMetadata
        {
            IrVersion = model.IrVersion,
            ProducerName = model.ProducerName,
            ProducerVersion = model.ProducerVersion,
            Domain = model.Domain,
            ModelVersion = model.ModelVersion,
            DocString = model.DocString,
        };
        foreach (var kv in model.MetadataProps) g.Metadata.Properties[kv.Key] = kv.Value;
        TopologicalSort.Apply(g);
        return g;
    }

    private sealed class Reader(string? baseDir, string displayName, Dictionary<string, long> opsets)
    {
        public Graph.Graph ReadGraph(GraphProto gp, bool isTop)
        {
            var g = new Graph.Graph { Name = gp.Name, DocString = gp.DocString, Opsets = opsets };
            foreach (var init in gp.Initializer)
                g.Initializers[init.Name] = ToTensor(init, $"initializer '{init.Name}'");
            if (gp.SparseInitializer.Count > 0)
                throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: sparse initializers are not supported");
            foreach (var vi in gp.Input)
            {
                // IR < 4 lists initializers among the inputs; an input with an initializer is a constant by default.
                if (g.Initializers.ContainsKey(vi.Name)) continue;
                g.Inputs.Add(ToValueInfo(vi));
            }
            foreach (var vi in gp.Output) g.Outputs.Add(ToValueInfo(vi));
            foreach (var vi in gp.ValueInfo) g.ValueInfos[vi.Name] = ToValueInfo(vi);
            foreach (var np in gp.Node)
            {
                var n = new Node(np.OpType, np.Input, np.Output, np.Name, np.Domain) { DocString = np.DocString };
                foreach (var a in np.Attribute) n.Attributes[a.Name] = ToAttr(a, n);
                if (IsFoldableConstant(n, g))
                {
                    g.Initializers[n.Outputs[0]] = ConstantValue(n);
                    continue;
                }
                g.Nodes.Add(n);
            }
            return g;
        }

        /// <summary>A Constant node with a tensor value whose output is not a graph output becomes an initializer.</summary>
        private static bool IsFoldableConstant(Node n, Graph.Graph g) =>
            n.OpType == "Constant" && n.Domain.Length == 0 && n.Outputs.Count == 1 && n.Attributes.Count == 1
            && n.Attributes.ContainsKey("value") && !g.Outputs.Any(o => o.Name == n.Outputs[0]);

        private static Tensor ConstantValue(Node n) => (Tensor)n.Attributes["value"].Value;

        private ValueInfo ToValueInfo(ValueInfoProto vi)
        {
            var tt = vi.Type?.TensorType;
            if (tt is null)
                return new ValueInfo(vi.Name, DType.Undefined, null, vi.DocString)
                {
                    NonTensorType = vi.Type is null ? null : vi.Type.ValueCase.ToString(),
                };
            Dim[]? shape = tt.Shape is null ? null : tt.Shape.Dim.Select(d =>
                d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? Dim.Known(d.DimValue)
                : d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? Dim.Symbolic(d.DimParam)
                : Dim.Unknown).ToArray();
            return new ValueInfo(vi.Name, (DType)tt.ElemType, shape, vi.DocString);
        }

        private Attr ToAttr(AttributeProto a, Node n)
        {
            var type = a.Type;
            // Old files may leave the type unset; infer it from the populated field.
            if (type == AttributeProto.Types.AttributeType.Undefined)
                type = a.Ints.Count > 0 ? AttributeProto.Types.AttributeType.Ints
                    : a.Floats.Count > 0 ? AttributeProto.Types.AttributeType.Floats
                    : a.Strings.Count > 0 ? AttributeProto.Types.AttributeType.Strings
                    : a.T is not null ? AttributeProto.Types.AttributeType.Tensor
                    : a.G is not null ? AttributeProto.Types.AttributeType.Graph
                    : !a.S.IsEmpty ? AttributeProto.Types.AttributeType.String
                    : a.F != 0 ? AttributeProto.Types.AttributeType.Float
                    : AttributeProto.Types.AttributeType.Int;
            string ctx = $"node {n.DisplayName} attribute '{a.Name}'";
            return type switch
            {
                AttributeProto.Types.AttributeType.Float => new Attr(a.Name, AttrType.Float, a.F),
                AttributeProto.Types.AttributeType.Int => new Attr(a.Name, AttrType.Int, a.I),
                AttributeProto.Types.AttributeType.String => new Attr(a.Name, AttrType.String, a.S.ToStringUtf8()),
                AttributeProto.Types.AttributeType.Tensor => new Attr(a.Name, AttrType.Tensor, ToTensor(a.T ?? throw Missing(ctx), ctx)),
                AttributeProto.Types.AttributeType.Graph => new Attr(a.Name, AttrType.Graph, ReadGraph(a.G ?? throw Missing(ctx), isTop: false)),
                AttributeProto.Types.AttributeType.Floats => new Attr(a.Name, AttrType.Floats, a.Floats.ToArray()),
                AttributeProto.Types.AttributeType.Ints => new Attr(a.Name, AttrType.Ints, a.Ints.ToArray()),
                AttributeProto.Types.AttributeType.Strings => new Attr(a.Name, AttrType.Strings, a.Strings.Select(s => s.ToStringUtf8()).ToArray()),
                AttributeProto.Types.AttributeType.Tensors => new Attr(a.Name, AttrType.Tensors, a.Tensors.Select(t => ToTensor(t, ctx)).ToArray()),
                AttributeProto.Types.AttributeType.Graphs => new Attr(a.Name, AttrType.Graphs, a.Graphs.Select(gp => ReadGraph(gp, false)).ToArray()),
                // Type attributes (Optional, SequenceEmpty) are kept as protobuf objects so export writes them back.
                AttributeProto.Types.AttributeType.TypeProto => new Attr(a.Name, AttrType.TypeProto, a.Tp ?? throw Missing(ctx)),
                AttributeProto.Types.AttributeType.TypeProtos => new Attr(a.Name, AttrType.TypeProtos, a.TypeProtos.ToArray()),
                _ => throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: {ctx} has unsupported type {a.Type}"),
            };
        }

        private LowBitException Missing(string ctx) => new(ErrorKind.InvalidModel, $"{displayName}: {ctx} has no value");

        private Tensor ToTensor(TensorProto p, string ctx) => TensorProtoConverter.ToTensor(p, ReadExternal, $"{displayName}: {ctx}");

        private byte[] ReadExternal(TensorProto p)
        {
            var kv = p.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            string location = kv.GetValueOrDefault("location") ?? throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: tensor '{p.Name}' has external data without a location");
            if (baseDir is null) throw new LowBitException(ErrorKind.UnsafePath, $"{displayName}: tensor '{p.Name}' uses external data but the model has no folder");
            string full = ExternalDataPath.Resolve(baseDir, location, displayName, p.Name);
            long offset = kv.TryGetValue("offset", out var o) ? long.Parse(o) : 0;
            long length;
            try
            {
                using var fs = File.OpenRead(full);
                length = kv.TryGetValue("length", out var l) ? long.Parse(l) : fs.Length - offset;
                if (offset < 0 || length < 0 || offset + length > fs.Length)
                    throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: tensor '{p.Name}' claims bytes {offset}..{offset + length} of {location}, which holds {fs.Length}");
                if (length > Array.MaxLength)
                    throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: tensor '{p.Name}' is larger than 2 GB");
                var buf = new byte[length];
                fs.Position = offset;
                fs.ReadExactly(buf);
                return buf;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LowBitException(ErrorKind.FileNotFound, $"{displayName}: external data '{location}' of tensor '{p.Name}': {e.Message}");
            }
        }
    }
}

/// <summary>External data files must lie inside the model's folder: absolute paths and ".." escapes are refused.</summary>
internal static class ExternalDataPath
{
    public static string Resolve(string baseDir, string location, string model, string tensor)
    {
        if (Path.IsPathRooted(location) || location.Contains('\0'))
            throw new LowBitException(ErrorKind.UnsafePath, $"{model}: tensor '{tensor}' external data path '{location}' is absolute; only paths inside the model folder are allowed");
        string root = Path.GetFullPath(baseDir);
        string full = Path.GetFullPath(Path.Combine(root, location));
        string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal))
            throw new LowBitException(ErrorKind.UnsafePath, $"{model}: tensor '{tensor}' external data path '{location}' escapes the model folder");
        return full;
    }
}
