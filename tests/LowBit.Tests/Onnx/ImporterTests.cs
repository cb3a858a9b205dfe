using Google.Protobuf;
using LowBit.Graph;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;
using Onnx;
using static LowBit.Tests.Onnx.ModelBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace LowBit.Tests.Onnx;

/// <summary>What real files contain (DESIGN.md §6): every case is built in code, imported, and run or inspected.</summary>
public class ImporterTests
{
    private static Graph.Graph Import(ModelProto m) => OnnxImporter.Load(m.ToByteArray(), null, "test.onnx");

    private static float[] RunFloat(Graph.Graph g, params (string Name, Tensor Value)[] feeds) =>
        new Session(g).Run(feeds.ToDictionary(f => f.Name, f => f.Value))[g.Outputs[0].Name].ToFloatArray();

    [Fact]
    public void Load_Ir3InitializerNotListedAsInput_IsConstant()
    {
        var g = Import(AddWeight(ir: 3, listWeightAsInput: false, [1, 2, 3]));
        Assert.Equal(["x"], g.Inputs.Select(i => i.Name));
        Assert.Equal([11f, 12f, 13f], RunFloat(g, ("x", Tensor.FromArray(new[] { 10f, 10f, 10f }, 3))));
    }

    [Fact]
    public void Load_Ir3InitializerListedAsInput_IsConstant()
    {
        var g = Import(AddWeight(ir: 3, listWeightAsInput: true, [1, 2, 3]));
        Assert.Equal(["x"], g.Inputs.Select(i => i.Name));
        Assert.True(g.Initializers.ContainsKey("w"));
    }

    [Fact]
    public void Load_Ir4InitializerListedAsInput_IsOverridableLikeOrt()
    {
        var m = AddWeight(ir: 8, listWeightAsInput: true, [1, 2, 3]);
        var g = Import(m);
        Assert.Equal(["x", "w"], g.Inputs.Select(i => i.Name));
        var x = Tensor.FromArray(new[] { 10f, 10f, 10f }, 3);
        var w = Tensor.FromArray(new[] { 5f, 6f, 7f }, 3);
        Assert.Equal([11f, 12f, 13f], RunFloat(g, ("x", x)));
        Assert.Equal([15f, 16f, 17f], RunFloat(g, ("x", x), ("w", w)));
        using var ort = OrtRunner.FromBytes(m.ToByteArray());
        Assert.Equal([15f, 16f, 17f], ort.Run(new Dictionary<string, Tensor> { ["x"] = x, ["w"] = w })["y"].ToFloatArray());
        // Export keeps it overridable: listed as an input and as an initializer.
        var back = OnnxExporter.ToProto(g);
        Assert.Contains(back.Graph.Input, i => i.Name == "w");
        Assert.Contains(back.Graph.Initializer, i => i.Name == "w");
    }

    [Fact]
    public void Load_ConstantNodeWeights_MovedToInitializers()
    {
        var c = MakeNode("Constant", [], ["w"], "const_w", MakeAttr("value", MakeFloats("", [3], 1, 2, 3)));
        var passthrough = MakeNode("Constant", [], ["k"], "const_out", MakeAttr("value", MakeFloats("", [1], 9)));
        var gp = MakeGraph("g", [MakeNode("Add", ["x", "w"], ["y"], "add"), c, passthrough], [MakeValue("x", DataType.Float, 3)],
            [MakeValue("y", DataType.Float, 3), MakeValue("k", DataType.Float, 1)]);
        var g = Import(MakeModel(gp));
        Assert.DoesNotContain(g.Nodes, n => n.Name == "const_w");
        Assert.Equal([1f, 2f, 3f], g.Initializers["w"].ToFloatArray());
        // A constant that is itself a graph output stays a node (an initializer cannot be an output of nothing).
        Assert.Contains(g.Nodes, n => n.Name == "const_out");
        Assert.Equal([2f, 3f, 4f], RunFloat(g, ("x", Tensor.FromArray(new[] { 1f, 1f, 1f }, 3))));
    }

    [Fact]
    public void Load_Float16InitializerBehindCast_MatchesOrt()
    {
        // float16 bits in int32_data, as the spec stores them.
        var w = MakeTensor("w16", DataType.Float16, [4]);
        foreach (var v in new[] { 0.5f, -1.25f, 65504f, 1e-3f }) w.Int32Data.Add(BitConverter.HalfToUInt16Bits((Half)v));
        var gp = MakeGraph("g", [MakeNode("Cast", ["w16"], ["w"], "cast", MakeAttr("to", (long)DataType.Float)), MakeNode("Mul", ["x", "w"], ["y"], "mul")],
            [MakeValue("x", DataType.Float, 4)], [MakeValue("y", DataType.Float, 4)], w);
        var m = MakeModel(gp);
        var g = Import(m);
        Assert.Equal(DType.Float16, g.Initializers["w16"].DType);
        var x = Tensor.FromArray(new[] { 2f, 2f, 1f, 1000f }, 4);
        using var ort = OrtRunner.FromBytes(m.ToByteArray());
        Assert.Equal(ort.Run(new Dictionary<string, Tensor> { ["x"] = x })["y"].ToFloatArray(), RunFloat(g, ("x", x)));
        Assert.Equal([1f, -2.5f, 65504f, (float)(Half)1e-3f * 1000f], RunFloat(g, ("x", x)));
    }

    /// <summary>(type, typed-field filler, raw bytes, expected values) for every storage field of TensorProto.</summary>
    public static IEnumerable<object[]> TypedFieldCases()
    {
        yield return Case(DataType.Float, t => t.FloatData.AddRange([1.5f, -2f, 3e9f]), Bytes<float>([1.5f, -2f, 3e9f]), 1.5, -2, 3e9);
        yield return Case(DataType.Double, t => t.DoubleData.AddRange([1e-300, -2.25]), Bytes<double>([1e-300, -2.25]), 1e-300, -2.25);
        yield return Case(DataType.Int64, t => t.Int64Data.AddRange([long.MinValue, 7]), Bytes<long>([long.MinValue, 7]), long.MinValue, 7);
        yield return Case(DataType.Uint64, t => t.Uint64Data.AddRange([ulong.MaxValue, 3]), Bytes<ulong>([ulong.MaxValue, 3]), ulong.MaxValue, 3);
        yield return Case(DataType.Uint32, t => t.Uint64Data.AddRange([uint.MaxValue, 3]), Bytes<uint>([uint.MaxValue, 3]), uint.MaxValue, 3);
        yield return Case(DataType.Int32, t => t.Int32Data.AddRange([int.MinValue, 9]), Bytes<int>([int.MinValue, 9]), int.MinValue, 9);
        yield return Case(DataType.Int16, t => t.Int32Data.AddRange([-32768, 5]), Bytes<short>([-32768, 5]), -32768, 5);
        yield return Case(DataType.Uint16, t => t.Int32Data.AddRange([65535, 5]), Bytes<ushort>([65535, 5]), 65535, 5);
        yield return Case(DataType.Int8, t => t.Int32Data.AddRange([-128, 127]), [0x80, 0x7F], -128, 127);
        yield return Case(DataType.Uint8, t => t.Int32Data.AddRange([255, 0]), [0xFF, 0x00], 255, 0);
        yield return Case(DataType.Bool, t => t.Int32Data.AddRange([1, 0, 1]), [1, 0, 1], 1, 0, 1);
        yield return Case(DataType.Float16, t => t.Int32Data.AddRange([0x3C00, 0xC000]), [0x00, 0x3C, 0x00, 0xC0], 1, -2);
        yield return Case(DataType.Bfloat16, t => t.Int32Data.AddRange([0x3F80, 0xC040]), [0x80, 0x3F, 0x40, 0xC0], 1, -3);
        yield return Case(DataType.Float8E4M3Fn, t => t.Int32Data.AddRange([0x38, 0xC0]), [0x38, 0xC0], 1, -2);
        // int4: two values per int32_data entry (low nibble first), 3 values → 2 entries.
        yield return Case(DataType.Int4, t => t.Int32Data.AddRange([0x8F, 0x07]), [0x8F, 0x07], -1, -8, 7);
    }

    private static object[] Case(DataType type, Action<TensorProto> fill, byte[] raw, params double[] expected) => [type, fill, raw, expected];

    private static byte[] Bytes<T>(T[] v) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    [Theory]
    [MemberData(nameof(TypedFieldCases))]
    public void Load_TypedFieldAndRawData_DecodeTheSameValues(DataType type, Action<TensorProto> fill, byte[] raw, double[] expected)
    {
        var typed = MakeTensor("t", type, [expected.Length]);
        fill(typed);
        var rawT = MakeTensor("t", type, [expected.Length]);
        rawT.RawData = ByteString.CopyFrom(raw);
        foreach (var p in new[] { typed, rawT })
        {
            var t = TensorProtoConverter.ToTensor(p);
            Assert.Equal((DType)(int)type, t.DType);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], t.GetDouble(i));
        }
    }

    [Fact]
    public void Load_StringData_Decodes()
    {
        var p = MakeTensor("s", DataType.String, [2]);
        p.StringData.Add(ByteString.CopyFromUtf8("héllo"));
        p.StringData.Add(ByteString.CopyFromUtf8(""));
        Assert.Equal(["héllo", ""], TensorProtoConverter.ToTensor(p).AsSpan<string>().ToArray());
    }

    [Fact]
    public void Load_SparseInitializer_Densified()
    {
        var values = MakeFloats("sw", [2], 4, 5);
        var indices = MakeTensor("idx", DataType.Int64, [2]);
        indices.Int64Data.AddRange([1, 5]);
        var sp = new SparseTensorProto { Values = values, Indices = indices };
        sp.Dims.AddRange([2, 3]);
        var gp = MakeGraph("g", [MakeNode("Add", ["x", "sw"], ["y"], "add")], [MakeValue("x", DataType.Float, 2, 3)], [MakeValue("y", DataType.Float, 2, 3)]);
        gp.SparseInitializer.Add(sp);
        var g = Import(MakeModel(gp));
        Assert.Equal([0f, 4f, 0f, 0f, 0f, 5f], g.Initializers["sw"].ToFloatArray());
    }

    [Fact]
    public void Load_ExternalData_ResolvedRelativeToModelWithOffsetAndLength()
    {
        using var dir = new ModelDir();
        Directory.CreateDirectory(dir.File("weights"));
        var payload = new byte[8 + 12 + 4];
        Buffer.BlockCopy(new[] { 1f, 2f, 3f }, 0, payload, 8, 12);
        File.WriteAllBytes(dir.File("weights/w.bin"), payload);
        var w = MakeTensor("w", DataType.Float, [3]);
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights/w.bin" });
        w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "8" });
        w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = "12" });
        var gp = MakeGraph("g", [MakeNode("Add", ["x", "w"], ["y"], "add")], [MakeValue("x", DataType.Float, 3)], [MakeValue("y", DataType.Float, 3)], w);
        var path = Save(MakeModel(gp), dir.Path);
        var g = OnnxImporter.Load(path);
        Assert.Equal([1f, 2f, 3f], g.Initializers["w"].ToFloatArray());
        using var ort = OrtRunner.FromFile(path);
        var x = Tensor.FromArray(new[] { 1f, 1f, 1f }, 3);
        Assert.Equal(ort.Run(new Dictionary<string, Tensor> { ["x"] = x })["y"].ToFloatArray(), RunFloat(g, ("x", x)));
    }

    [Fact]
    public void Load_UnsortedNodes_SortedOnImport()
    {
        var gp = MakeGraph("g",
            [MakeNode("Mul", ["b", "b"], ["y"], "last"), MakeNode("Add", ["a", "x"], ["b"], "middle"), MakeNode("Neg", ["x"], ["a"], "first")],
            [MakeValue("x", DataType.Float, 2)], [MakeValue("y", DataType.Float, 2)]);
        var g = Import(MakeModel(gp));
        Assert.Equal(["first", "middle", "last"], g.Nodes.Select(n => n.Name));
        Assert.Equal([0f, 0f], RunFloat(g, ("x", Tensor.FromArray(new[] { 1f, 2f }, 2))));
    }

    [Fact]
    public void Load_Cycle_ThrowsNamingTheNodesAndFile()
    {
        var gp = MakeGraph("g", [MakeNode("Neg", ["x"], ["a"], "ok"), MakeNode("Add", ["a", "c"], ["b"], "loop_1"), MakeNode("Relu", ["b"], ["c"], "loop_2"),
                MakeNode("Identity", ["c"], ["y"], "out")], [MakeValue("x", DataType.Float, 2)], [MakeValue("y", DataType.Float, 2)]);
        var e = Assert.Throws<LowBitException>(() => Import(MakeModel(gp)));
        Assert.Equal(ErrorKind.InvalidModel, e.Kind);
        Assert.Contains("cycle", e.Message);
        Assert.Contains("loop_1", e.Message);
        Assert.Contains("loop_2", e.Message);
        Assert.StartsWith("test.onnx:", e.Message);
    }

    [Fact]
    public void Load_SymbolicAndUnknownDims_KeptThroughExport()
    {
        var gp = MakeGraph("g", [MakeNode("Neg", ["x"], ["y"], "neg")], [MakeValue("x", DataType.Float, "batch", null, 3L)], [MakeValue("y", DataType.Float, "batch", null, 3L)]);
        var g = Import(MakeModel(gp));
        Assert.Equal([Dim.Symbolic("batch"), Dim.Unknown, Dim.Known(3)], g.Inputs[0].Shape!);
        var dims = OnnxExporter.ToProto(g).Graph.Input[0].Type.TensorType.Shape.Dim;
        Assert.Equal("batch", dims[0].DimParam);
        Assert.Equal(TensorShapeProto.Types.Dimension.ValueOneofCase.None, dims[1].ValueCase);
        Assert.Equal(3, dims[2].DimValue);
        Assert.Equal([1f, -2f, 3f, -4f, 5f, -6f], RunFloat(g, ("x", Tensor.FromArray(new[] { -1f, 2f, -3f, 4f, -5f, 6f }, 2, 1, 3))));
    }

    [Fact]
    public void Load_NegativeDimInValueInfo_ReadAsUnknown()
    {
        var gp = MakeGraph("g", [MakeNode("Relu", ["x"], ["y"], "relu")], [MakeValue("x", DataType.Float, -1L, 3L)], [MakeValue("y", DataType.Float, -1L, 3L)]);
        Assert.Equal(Dim.Unknown, Import(MakeModel(gp)).Inputs[0].Shape![0]);
    }

    /// <summary>y = cond ? x·w_then (w_then a branch initializer) : x + k (k a Constant inside the branch).</summary>
    internal static ModelProto IfModel(long ir)
    {
        var thenBranch = MakeGraph("then", [MakeNode("Mul", ["x", "w_then"], ["t_out"], "then_mul")], [], [MakeValue("t_out", DataType.Float, 2)], MakeFloats("w_then", [2], 3, 4));
        var elseBranch = MakeGraph("else", [MakeNode("Constant", [], ["k"], "else_k", MakeAttr("value", MakeFloats("", [2], 10, 20))), MakeNode("Add", ["x", "k"], ["e_out"], "else_add")],
            [], [MakeValue("e_out", DataType.Float, 2)]);
        var gp = MakeGraph("g", [MakeNode("If", ["cond"], ["y"], "if", MakeAttr("then_branch", thenBranch), MakeAttr("else_branch", elseBranch))],
            [MakeValue("cond", DataType.Bool), MakeValue("x", DataType.Float, 2)], [MakeValue("y", DataType.Float, 2)]);
        return MakeModel(gp, ir, ir <= 3 ? 8 : 13);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_IfSubgraphs_KeptAndExecutedLikeOrt(bool cond)
    {
        var m = IfModel(ir: 8);
        var g = Import(m);
        var branches = g.Nodes.Single().Subgraphs().ToArray();
        Assert.Equal(2, branches.Length);
        Assert.True(branches[0].Initializers.ContainsKey("w_then"));
        var feeds = new Dictionary<string, Tensor> { ["cond"] = Tensor.FromArray(new[] { cond }), ["x"] = Tensor.FromArray(new[] { 1f, 2f }, 2) };
        using var ort = OrtRunner.FromBytes(m.ToByteArray());
        var expected = ort.Run(feeds)["y"].ToFloatArray();
        Assert.Equal(cond ? [3f, 8f] : [11f, 22f], expected);
        Assert.Equal(expected, new Session(g).Run(feeds)["y"].ToFloatArray());
    }

    [Fact]
    public void Load_AttributeTypeUnset_InferredFromField()
    {
        var perm = new AttributeProto { Name = "perm" };
        perm.Ints.AddRange([1, 0]);
        var alpha = new AttributeProto { Name = "alpha", F = 0.5f };
        var gp = MakeGraph("g", [MakeNode("Transpose", ["x"], ["t"], "tr", perm), MakeNode("LeakyRelu", ["t"], ["y"], "lr", alpha)],
            [MakeValue("x", DataType.Float, 1, 2)], [MakeValue("y", DataType.Float, 2, 1)]);
        var g = Import(MakeModel(gp));
        Assert.Equal(AttrType.Ints, g.Nodes[0].Attributes["perm"].Type);
        Assert.Equal(AttrType.Float, g.Nodes[1].Attributes["alpha"].Type);
        // Export writes the inferred type, which ONNX Runtime requires.
        var back = OnnxExporter.ToProto(g).Graph.Node;
        Assert.Equal(AttributeProto.Types.AttributeType.Ints, back[0].Attribute[0].Type);
    }

    [Fact]
    public void Load_LocalFunction_InlinedAndMatchesOrt()
    {
        // local.AddScaled(a, b; alpha = 2) = a + alpha·b, called twice: once with alpha = 3, once with the default.
        var f = new FunctionProto { Name = "AddScaled", Domain = "local" };
        f.Input.AddRange(["a", "b"]);
        f.Output.Add("y");
        f.Attribute.Add("alpha");
        f.AttributeProto.Add(MakeAttr("alpha", 2f));
        f.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        f.Node.Add(MakeNode("Constant", [], ["c"], "c", new AttributeProto { Name = "value_float", RefAttrName = "alpha", Type = AttributeProto.Types.AttributeType.Float }));
        f.Node.Add(MakeNode("Mul", ["b", "c"], ["t"], "mul"));
        f.Node.Add(MakeNode("Add", ["a", "t"], ["y"], "add"));
        var call1 = MakeNode("AddScaled", ["x", "x"], ["u"], "call1", MakeAttr("alpha", 3f));
        call1.Domain = "local";
        var call2 = MakeNode("AddScaled", ["u", "x"], ["v"], "call2");
        call2.Domain = "local";
        var m = MakeModel(MakeGraph("g", [call1, call2], [MakeValue("x", DataType.Float, 2)], [MakeValue("v", DataType.Float, 2)]));
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "local", Version = 1 });
        m.Functions.Add(f);

        var g = Import(m);
        Assert.DoesNotContain(g.Nodes, n => n.Domain == "local");
        var x = Tensor.FromArray(new[] { 1f, -2f }, 2);
        using var ort = OrtRunner.FromBytes(m.ToByteArray());
        var expected = ort.Run(new Dictionary<string, Tensor> { ["x"] = x })["v"].ToFloatArray();
        Assert.Equal([6f, -12f], expected); // (x + 3x) + 2x
        Assert.Equal(expected, RunFloat(g, ("x", x)));
        // The export holds plain operators only, and ONNX Runtime runs it the same.
        using var back = OrtRunner.FromBytes(OnnxExporter.ToBytes(g));
        Assert.Equal(expected, back.Run(new Dictionary<string, Tensor> { ["x"] = x })["v"].ToFloatArray());
    }

    [Fact]
    public void Load_RecursiveFunction_InvalidModel()
    {
        var f = new FunctionProto { Name = "Loop", Domain = "local" };
        f.Input.Add("a");
        f.Output.Add("y");
        var self = MakeNode("Loop", ["a"], ["y"], "self");
        self.Domain = "local";
        f.Node.Add(self);
        var call = MakeNode("Loop", ["x"], ["y"], "call");
        call.Domain = "local";
        var m = MakeModel(MakeGraph("g", [call], [MakeValue("x", DataType.Float, 2)], [MakeValue("y", DataType.Float, 2)]));
        m.Functions.Add(f);
        var e = Assert.Throws<LowBitException>(() => Import(m));
        Assert.Contains("calls itself", e.Message);
    }
}
