using LowBit.Graph;
using LowBit.OnnxRuntime;
using LowBit.Tensors;

namespace LowBit.Cli.Tests.Commands;

/// <summary>
/// Issue 8 part 3: every combination <c>lowbit quantize</c> accepts produces a file ONNX Runtime 1.31 loads and runs, or
/// is refused before any work (exit 2, one line, naming what would work). Run on a small model with the op kinds whose
/// ORT kernels differ (Conv → QLinearConv, MaxPool on quantized tensors, MatMul → QLinearMatMul/MatMulNBits).
/// </summary>
public class QuantizeCombinationTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    /// <summary>x [N,1,8,8] → Conv(4×1×3×3, pad 1) → Relu → MaxPool 2×2 → Flatten → MatMul [64,3] → y.</summary>
    public static Graph.Graph ConvPoolMatMul()
    {
        var rng = new Random(7);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var g = new Graph.Graph { Name = "cpm" };
        g.Inputs.Add(new ValueInfo("x", DType.Float32, [Dim.Symbolic("batch"), Dim.Known(1), Dim.Known(8), Dim.Known(8)]));
        g.Outputs.Add(new ValueInfo("y", DType.Float32, [Dim.Symbolic("batch"), Dim.Known(3)]));
        g.Initializers["Wc"] = Tensor.FromArray(Rand(36), 4, 1, 3, 3);
        g.Initializers["Bc"] = Tensor.FromArray(Rand(4), 4);
        g.Initializers["Wm"] = Tensor.FromArray(Rand(192), 64, 3);
        g.Add("Conv", ["x", "Wc", "Bc"], ["c"], "conv").With("pads", new long[] { 1, 1, 1, 1 }).With("kernel_shape", new long[] { 3, 3 });
        g.Add("Relu", ["c"], ["r"], "relu");
        g.Add("MaxPool", ["r"], ["p"], "pool").With("kernel_shape", new long[] { 2, 2 }).With("strides", new long[] { 2, 2 });
        g.Add("Flatten", ["p"], ["f"], "flatten");
        g.Add("MatMul", ["f", "Wm"], ["y"], "fc");
        g.Opsets[""] = 17;
        return g;
    }

    private int k;

    /// <summary>Runs one combination: either ORT (independently of the CLI's own check) runs the written file, or the
    /// CLI refused it as a usage error without writing anything. Returns the outcome for the summary.</summary>
    private string Check(string model, params string[] flags)
    {
        string output = h.PathOf($"q{k++}.onnx");
        var r = CliHarness.Run(["quantize", model, "--out", output, "--threads", "1", .. flags]);
        string combo = string.Join(' ', flags);
        if (r.Code == 0)
        {
            using var ort = OrtRunner.FromFile(output, 1);
            var y = ort.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(DType.Float32, 1, 1, 8, 8) })["y"];
            Assert.Equal([1, 3], y.Shape);
            return "ok";
        }
        Assert.True(r.Code == 2, $"{combo}: exit {r.Code}, expected 0 or a usage error before any work: {r.Err}");
        Assert.Single(r.ErrLines);
        Assert.False(File.Exists(output), combo);
        return "refused";
    }

    [Fact]
    public void Quantize_EveryFormatClassModeAndGranularity_RunsInOrtOrIsRefusedUpFront()
    {
        var model = h.Save(ConvPoolMatMul(), "m.onnx");
        // One format per storage class: sub-4-bit in int4, 4-bit unsigned, sub-8-bit in int8, 8-bit, 16-bit (the narrow
        // variants share their class's container and kernels).
        string[] weights = ["int3", "uint4", "int6", "int8", "int16"];
        string[] granularities = ["per-tensor", "per-channel", "group:16"];
        string[] activations = ["uint8", "int8", "uint16", "int16", "int7", "uint4", "int4", "uint2"];
        var outcomes = new Dictionary<string, string>();
        foreach (var w in weights)
            foreach (var g in granularities)
            {
                outcomes[$"weight-only {w} {g}"] = Check(model, "--mode", "weight-only", "--weights", w, "--granularity", g);
                outcomes[$"dynamic {w} {g}"] = Check(model, "--mode", "dynamic", "--weights", w, "--granularity", g);
            }
        foreach (var a in activations)
            outcomes[$"static int8 per-channel {a}"] = Check(model, "--activations", a, "--calib-data", "random:2", "--calib-samples", "2");
        outcomes["static int4 per-channel uint8"] = Check(model, "--weights", "int4", "--calib-data", "random:2", "--calib-samples", "2");
        foreach (var opset in new[] { "10", "13", "21" })
            outcomes[$"static opset {opset}"] = Check(model, "--opset", opset, "--granularity", "per-tensor", "--calib-data", "random:2", "--calib-samples", "2");

        // The combinations users reach for first must work, not merely be refused.
        foreach (var must in new[] { "weight-only uint4 group:16", "weight-only int8 per-channel", "weight-only int3 per-channel", "dynamic int8 per-channel", "static int8 per-channel uint8",
                     "static int4 per-channel uint8", "static int8 per-channel int16", "static opset 21" })
            Assert.True(outcomes[must] == "ok", must);
        foreach (var narrow in new[] { "uint4", "int4", "uint2", "int7" }) Assert.Equal("ok", outcomes[$"static int8 per-channel {narrow}"]);
    }

    [Theory]
    [InlineData("uint4", "uint8")]
    [InlineData("int4", "int8")]
    [InlineData("int2", "int8")]
    public void Quantize_FourBitActivations_StoredInEightBitsBehindAGridClip(string activations, string container)
    {
        var model = h.Save(ConvPoolMatMul(), "m.onnx");
        var r = CliHarness.Run("quantize", model, "--out", h.PathOf("q.onnx"), "--activations", activations, "--calib-data", "random:4", "--calib-samples", "4");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains($"{activations} activations are stored in 8-bit containers ({container})", r.Out);
        var g = Onnx.OnnxImporter.Load(h.PathOf("q.onnx"));
        var quantizers = g.Nodes.Where(n => n.OpType == "QuantizeLinear").ToList();
        Assert.NotEmpty(quantizers);
        // The grid clip: before each QuantizeLinear (unsigned) or after its DequantizeLinear (signed).
        var producers = g.Producers();
        var consumers = g.Consumers();
        Assert.All(quantizers, q => Assert.True(producers.GetValueOrDefault(q.Inputs[0])?.OpType == "Clip"
            || consumers[consumers[q.Outputs[0]].Single().Outputs[0]].All(r => r.OpType == "Clip"), q.Name));
    }

    [Theory]
    [InlineData("int3", "4-bit containers (int4)")]
    [InlineData("uint2", "4-bit containers (uint4)")]
    [InlineData("int6", "8-bit containers (int8)")]
    public void Quantize_NarrowWeights_SayWhichContainerHoldsThem(string format, string container)
    {
        // The model's weights (36 and 192 codes) are too small for packing to pay: they stay in their containers.
        var model = h.Save(ConvPoolMatMul(), "m.onnx");
        var r = CliHarness.Run("quantize", model, "--out", h.PathOf("q.onnx"), "--mode", "weight-only", "--weights", format, "--granularity", "per-channel");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains(r.Out.Split('\n'), l => l.StartsWith($"Note: {format} weights are stored bit-packed at {format[^1]} bits per code", StringComparison.Ordinal)
            && l.Contains($"smaller tensors stay in {container}", StringComparison.Ordinal));
        Assert.DoesNotContain("Note: packed", r.Out, StringComparison.Ordinal);
        var j = CliHarness.Run("quantize", model, "--out", h.PathOf("q2.onnx"), "--mode", "weight-only", "--weights", format, "--granularity", "per-channel", "--json").Json();
        Assert.Contains(container, Assert.Single(j.GetProperty("notes").EnumerateArray()).GetString());
    }

    [Fact]
    public void Quantize_FullWidthWeights_HaveNoContainerNote()
    {
        var model = h.Save(ConvPoolMatMul(), "m.onnx");
        var j = CliHarness.Run("quantize", model, "--out", h.PathOf("q.onnx"), "--mode", "weight-only", "--weights", "int4", "--json").Json();
        Assert.Equal(0, j.GetProperty("notes").GetArrayLength());
    }
}
