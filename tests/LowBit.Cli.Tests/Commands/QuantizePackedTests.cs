using LowBit.Graph;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit quantize</c> stores sub-byte weights packed by default and says how many bytes their codes take;
/// <c>--pack false</c> keeps the containers.</summary>
public class QuantizePackedTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    /// <summary>x [N,16,8,8] → Conv 16→32 3×3 (4608 weights) → Relu → Conv 32→32 3×3 (9216) → GlobalAveragePool → Flatten →
    /// MatMul [32,3] (96 weights; MatMulNBits in weight-only mode) → y.</summary>
    private static Graph.Graph ConvConvMatMul()
    {
        var rng = new Random(5);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var g = new Graph.Graph { Name = "ccm" };
        g.Inputs.Add(new ValueInfo("x", DType.Float32, [Dim.Symbolic("batch"), Dim.Known(16), Dim.Known(8), Dim.Known(8)]));
        g.Outputs.Add(new ValueInfo("y", DType.Float32, [Dim.Symbolic("batch"), Dim.Known(3)]));
        g.Initializers["W1"] = Tensor.FromArray(Rand(4608), 32, 16, 3, 3);
        g.Initializers["W2"] = Tensor.FromArray(Rand(9216), 32, 32, 3, 3);
        g.Initializers["Wm"] = Tensor.FromArray(Rand(96), 32, 3);
        g.Add("Conv", ["x", "W1"], ["c1"], "conv1").With("pads", new long[] { 1, 1, 1, 1 }).With("kernel_shape", new long[] { 3, 3 });
        g.Add("Relu", ["c1"], ["r1"], "relu1");
        g.Add("Conv", ["r1", "W2"], ["c2"], "conv2").With("pads", new long[] { 1, 1, 1, 1 }).With("kernel_shape", new long[] { 3, 3 });
        g.Add("GlobalAveragePool", ["c2"], ["p"], "gap");
        g.Add("Flatten", ["p"], ["f"], "flatten");
        g.Add("MatMul", ["f", "Wm"], ["y"], "fc");
        g.Opsets[""] = 17;
        return g;
    }

    [Fact]
    public void Quantize_Int2Weights_PrintsPackedSizeAndShrinksTheFile()
    {
        var model = h.Save(ConvConvMatMul(), "m.onnx");
        string[] args = ["quantize", model, "--mode", "weight-only", "--weights", "int2", "--granularity", "per-channel"];
        var r = CliHarness.Run([.. args, "--out", h.PathOf("packed.onnx")]);
        Assert.True(r.Code == 0, r.Err);
        // conv1 + conv2: 13824 codes, 3456 B at 2 bits, 6912 B as int4; fc goes to MatMulNBits (not packed).
        Assert.Contains("Note: packed 2 of 3 int2 weight tensors: 13824 codes in 3.4 KiB (as int4: 6.8 KiB)", r.Out.Split('\n').Select(l => l.TrimEnd()));
        var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(h.PathOf("packed.lowbit.json"))).RootElement;
        var bits = manifest.GetProperty("tensors").EnumerateArray().Where(t => t.GetProperty("kind").GetString() == "weight")
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.TryGetProperty("packedBits", out var b) ? b.GetInt32() : 0);
        Assert.Equal(new Dictionary<string, int> { ["W1"] = 2, ["W2"] = 2, ["Wm"] = 0 }, bits);

        var plain = CliHarness.Run([.. args, "--out", h.PathOf("plain.onnx"), "--pack", "false"]);
        Assert.True(plain.Code == 0, plain.Err);
        Assert.DoesNotContain("Note: packed", plain.Out, StringComparison.Ordinal);
        Assert.Contains("int2 weights (--pack false) are stored in 4-bit containers (int4)", plain.Out, StringComparison.Ordinal);
        // The file shrinks by the code bytes saved (3456 B) less two unpack subgraphs (≈ 1 KB each).
        long saved = new FileInfo(h.PathOf("plain.onnx")).Length - new FileInfo(h.PathOf("packed.onnx")).Length;
        Assert.InRange(saved, 3456 - 2 * 1280, 3456);
        Assert.Equal(
            OnnxImporter.Load(h.PathOf("packed.onnx")).Nodes.Count(n => n.OpType == "DequantizeLinear"),
            OnnxImporter.Load(h.PathOf("plain.onnx")).Nodes.Count(n => n.OpType == "DequantizeLinear"));
    }
}
