using Google.Protobuf;
using LowBit.Graph;
using LowBit.Tensors;
using Onnx;

namespace LowBit.Onnx;

/// <summary>
/// Reads ONNX files into a <see cref="Graph.Graph"/>. Handles what real files contain: IR 3 initializers not listed as
/// inputs, IR ≥ 4 initializers listed as (overridable) inputs, weights in Constant nodes (moved to initializers),
/// raw_data and typed fields, sparse initializers (densified), external data (relative to the model, never escaping its
/// folder), unsorted nodes (sorted; cycles are errors), symbolic dims, subgraphs, and model-local functions (inlined).
/// Every failure is a one-line <see cref="LowBitException"/> naming the file, raised before anything is allocated for
/// sizes a header merely claims.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Largest model file read in one piece: protobuf messages are limited to 2 GB (larger models keep their
    /// weights in external data files).</summary>
    private const long MaxModelBytes = int.MaxValue;

    public static Graph.Graph Load(string path)
    {
        if (Directory.Exists(path))
            throw new LowBitException(ErrorKind.FileNotFound, $"{path}: is a directory, not an ONNX model file");
        byte[] bytes;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (fs.Length > MaxModelBytes)
                throw new LowBitException(ErrorKind.InvalidModel, $"{path}: {fs.Length} bytes is over the 2 GB protobuf limit (models this large keep weights in external data)");
            bytes = new byte[fs.Length];
            fs.ReadExactly(bytes);
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
        if (bytes.Length == 0) throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: the file is empty");
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // InvalidProtocolBufferException for truncated or non-protobuf bytes; anything else the parser throws on
            // hostile input is the same user error.
            throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: not a valid ONNX model ({e.Message.Split('\n')[0]})");
        }
        if (model.Graph is null || model.IrVersion <= 0)
            throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: not an ONNX model (no graph or IR version)");
        if (model.IrVersion > MaxIrVersion)
            throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: IR version {model.IrVersion} is newer than supported (≤ {MaxIrVersion})");

        OnnxFunctions.Inline(model, displayName);
        var opsets = new Dictionary<string, long>();
        foreach (var o in model.OpsetImport) opsets[o.Domain == "ai.onnx" ? "" : o.Domain] = o.Version;
        if (!opsets.ContainsKey("")) opsets[""] = model.IrVersion <= 3 ? 8 : 1;

        var reader = new Reader(baseDir, displayName, opsets, model.IrVersion);
        var g = reader.ReadGraph(model.Graph);
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
        try
        {
            TopologicalSort.Apply(g);
        }
        catch (LowBitException e)
        {
            throw new LowBitException(e.Kind, $"{displayName}: {e.Message}", e);
        }
        return g;
    }

    /// <summary>Newest IR version read (ONNX 1.18 writes IR 11).</summary>
    public const long MaxIrVersion = 11;

    private sealed class Reader(string? baseDir, string displayName, Dictionary<string, long> opsets, long irVersion)
    {
        public Graph.Graph ReadGraph(GraphProto gp)
        {
            var g = new Graph.Graph { Name = gp.Name, DocString = gp.DocString, Opsets = opsets };
            foreach (var init in gp.Initializer)
                AddInitializer(g, init.Name, ToTensor(init, $"initializer '{init.Name}'"));
            foreach (var sp in gp.SparseInitializer)
            {
                string name = sp.Values?.Name ?? "";
                AddInitializer(g, name, SparseToDense(sp, $"sparse initializer '{name}'"));
            }
            foreach (var vi in gp.Input)
            {
                // IR < 4 must list every initializer among the inputs: those are constants. From IR 4 on, an input that
                // also has an initializer is an optional input whose default is the initializer (ONNX Runtime lets the
                // caller override it), so it stays in both lists and the session feeds whichever is given.
                if (irVersion < 4 && g.Initializers.ContainsKey(vi.Name)) continue;
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
                    AddInitializer(g, n.Outputs[0], ConstantValue(n));
                    continue;
                }
                g.Nodes.Add(n);
            }
            return g;
        }

        private void AddInitializer(Graph.Graph g, string name, Tensor t)
        {
            if (!g.Initializers.TryAdd(name, t))
                throw new LowBitException(ErrorKind.InvalidModel, $"{displayName}: value '{name}' is defined more than once (initializers or Constant nodes)");
        }

        /// <summary>A Constant node with a tensor value whose output is not a graph output becomes an initializer.</summary>
        private static bool IsFoldableConstant(Node n, Graph.Graph g) =>
            n.OpType == "Constant" && n.Domain.Length == 0 && n.Outputs.Count == 1 && n.Attributes.Count == 1
            && n.Attributes.ContainsKey("value") && !g.Outputs.Any(o => o.Name == n.Outputs[0]);

        private Tensor ConstantValue(Node n) => n.Attributes["value"].Value as Tensor
            ?? throw new LowBitException(ErrorKind.InvalidModel,
                $"{displayName}: Constant node '{n.Name}': attribute 'value' must be a tensor, got {n.Attributes["value"].Value?.GetType().Name ?? "nothing"}");

        private ValueInfo ToValueInfo(ValueInfoProto vi)
        {
            var tt = vi.Type?.TensorType;
            if (tt is null)
                return new ValueInfo(vi.Name, DType.Undefined, null, vi.DocString)
                {
                    NonTensorType = vi.Type is null ? null : vi.Type.ValueCase.ToString(),
                };
            Dim[]? shape = tt.Shape is null ? null : tt.Shape.Dim.Select(d =>
                // Some exporters write −1 for "unknown"; ONNX dims are ≥ 0, so any negative value is read as unknown.
                d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? (d.DimValue >= 0 ? Dim.Known(d.DimValue) : Dim.Unknown)
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
                    : a.Tensors.Count > 0 ? AttributeProto.Types.AttributeType.Tensors
                    : a.Graphs.Count > 0 ? AttributeProto.Types.AttributeType.Graphs
                    : a.TypeProtos.Count > 0 ? AttributeProto.Types.AttributeType.TypeProtos
                    : a.T is not null ? AttributeProto.Types.AttributeType.Tensor
                    : a.G is not null ? AttributeProto.Types.AttributeType.Graph
                    : a.Tp is not null ? AttributeProto.Types.AttributeType.TypeProto
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
                AttributeProto.Types.AttributeType.Graph => new Attr(a.Name, AttrType.Graph, ReadGraph(a.G ?? throw Missing(ctx))),
                AttributeProto.Types.AttributeType.Floats => new Attr(a.Name, AttrType.Floats, a.Floats.ToArray()),
                AttributeProto.Types.AttributeType.Ints => new Attr(a.Name, AttrType.Ints, a.Ints.ToArray()),
                AttributeProto.Types.AttributeType.Strings => new Attr(a.Name, AttrType.Strings, a.Strings.Select(s => s.ToStringUtf8()).ToArray()),
                AttributeProto.Types.AttributeType.Tensors => new Attr(a.Name, AttrType.Tensors, a.Tensors.Select(t => ToTensor(t, ctx)).ToArray()),
                AttributeProto.Types.AttributeType.Graphs => new Attr(a.Name, AttrType.Graphs, a.Graphs.Select(ReadGraph).ToArray()),
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
            string? location = null, offsetText = null, lengthText = null;
            foreach (var e in p.ExternalData)
            {
                if (e.Key == "location") location = e.Value;
                else if (e.Key == "offset") offsetText = e.Value;
                else if (e.Key == "length") lengthText = e.Value;
            }
            string what = $"{displayName}: tensor '{p.Name}'";
            if (string.IsNullOrEmpty(location)) throw new LowBitException(ErrorKind.InvalidModel, $"{what} has external data without a location");
            if (baseDir is null) throw new LowBitException(ErrorKind.UnsafePath, $"{what} uses external data but the model has no folder");
            string full = ExternalDataPath.Resolve(baseDir, location, displayName, p.Name);
            long offset = ParseCount(offsetText, 0, "offset", what);
            try
            {
                using var fs = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
                long length = ParseCount(lengthText, fs.Length - offset, "length", what);
                if (offset > fs.Length || length > fs.Length - offset)
                    throw new LowBitException(ErrorKind.InvalidModel, $"{what} claims bytes {offset}..{offset + length} of '{location}', which holds {fs.Length}");
                if (length > Array.MaxLength)
                    throw new LowBitException(ErrorKind.InvalidModel, $"{what} is larger than 2 GB");
                var buf = new byte[length];
                fs.Position = offset;
                fs.ReadExactly(buf);
                return buf;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LowBitException(ErrorKind.FileNotFound, $"{what}: external data '{location}': {e.Message}");
            }
        }

        private static long ParseCount(string? text, long fallback, string key, string what)
        {
            if (text is null) return fallback;
            if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v))
                throw new LowBitException(ErrorKind.InvalidModel, $"{what} has external data {key} '{text}', not a non-negative integer");
            return v;
        }

        /// <summary>Densifies a sparse initializer: values [NNZ] at indices [NNZ] (linear) or [NNZ, rank] (coordinates).</summary>
        private Tensor SparseToDense(SparseTensorProto sp, string ctx)
        {
            string what = $"{displayName}: {ctx}";
            if (sp.Values is null || sp.Indices is null) throw new LowBitException(ErrorKind.InvalidModel, $"{what} has no values or indices");
            var shape = Tensor.CheckedShape(sp.Dims, what);
            var values = ToTensor(sp.Values, ctx + " values");
            var indices = ToTensor(sp.Indices, ctx + " indices");
            int nnz = values.Length, rank = shape.Length;
            bool linear = indices.Rank == 1;
            if (indices.DType != DType.Int64 || values.Rank != 1 || (linear ? indices.Length != nnz : indices.Rank != 2 || indices.Shape[0] != nnz || indices.Shape[1] != rank))
                throw new LowBitException(ErrorKind.InvalidModel, $"{what}: indices {indices.ShapeString} do not fit values {values.ShapeString} and shape [{string.Join(",", shape)}]");
            var dense = Tensor.Zeros(values.DType, shape);
            long total = dense.Length;
            var idx = indices.AsSpan<long>();
            var strides = Broadcast.ContiguousStrides(shape);
            for (int i = 0; i < nnz; i++)
            {
                long at = 0;
                if (linear) at = idx[i];
                else
                    for (int d = 0; d < rank; d++)
                    {
                        long c = idx[i * rank + d];
                        if (c < 0 || c >= shape[d]) { at = -1; break; }
                        at += c * strides[d];
                    }
                if (at < 0 || at >= total) throw new LowBitException(ErrorKind.InvalidModel, $"{what}: index {i} is out of range");
                dense.SetDouble((int)at, values.GetDouble(i));
            }
            return dense;
        }
    }
}

/// <summary>External data files must lie inside the model's folder: absolute paths, ".." escapes and symbolic links
/// that lead outside are refused.</summary>
internal static class ExternalDataPath
{
    public static string Resolve(string baseDir, string location, string model, string tensor)
    {
        if (Path.IsPathRooted(location) || location.Contains('\0'))
            throw new LowBitException(ErrorKind.UnsafePath, $"{model}: tensor '{tensor}' external data path '{location}' is absolute; only paths inside the model folder are allowed");
        string root = Path.GetFullPath(baseDir);
        string full = Path.GetFullPath(Path.Combine(root, location));
        if (!IsInside(full, root) || !IsInside(RealPath(full), RealPath(root)))
            throw new LowBitException(ErrorKind.UnsafePath, $"{model}: tensor '{tensor}' external data path '{location}' escapes the model folder");
        return full;
    }

    private static bool IsInside(string full, string root)
    {
        string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return full.StartsWith(rootWithSep, StringComparison.Ordinal);
    }

    /// <summary>The path with every symbolic link along it followed (components that do not exist are kept as written).</summary>
    private static string RealPath(string full)
    {
        string current = Path.GetPathRoot(full) ?? "/";
        foreach (var part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo? target = null;
            try
            {
                if (Directory.Exists(current)) target = new DirectoryInfo(current).ResolveLinkTarget(returnFinalTarget: true);
                else if (File.Exists(current)) target = new FileInfo(current).ResolveLinkTarget(returnFinalTarget: true);
            }
            catch (IOException)
            {
                // A link loop or unreadable link: keep the path as written; opening it fails later with a clear error.
            }
            if (target is not null) current = Path.GetFullPath(target.FullName);
        }
        return current;
    }
}
