using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Tests.Onnx;

/// <summary>One ONNX backend node test case from Debian's libonnx-testdata: model.onnx plus input_N.pb / output_N.pb.</summary>
public sealed record NodeTestCase(string Name, string Dir)
{
    public const string Root = "/usr/share/libonnx-testdata/data/node";
    public static bool Available => Directory.Exists(Root);

    public static IEnumerable<NodeTestCase> All() =>
        Available ? Directory.GetDirectories(Root).OrderBy(d => d, StringComparer.Ordinal).Select(d => new NodeTestCase(Path.GetFileName(d), d)) : [];

    public string ModelPath => Path.Combine(Dir, "model.onnx");

    public IEnumerable<string> DataSets() => Directory.GetDirectories(Dir, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal);

    public static Tensor ReadPb(string path) =>
        TensorProtoConverter.ToTensor(global::Onnx.TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)));

    public static List<Tensor> ReadAll(string dir, string prefix) =>
        Directory.GetFiles(dir, prefix + "_*.pb")
            .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f).Split('_')[1]))
            .Select(ReadPb).ToList();

    /// <summary>onnx 1.12's generator stored bfloat16 test tensors as data_type UINT16 (the same bits): view them as the
    /// model declares them.</summary>
    public static Tensor AsDeclared(Tensor t, DType declared) =>
        declared == DType.BFloat16 && t.DType == DType.UInt16 ? Tensor.FromStorage(DType.BFloat16, t.Data, t.Shape) : t;

    public override string ToString() => Name;
}
