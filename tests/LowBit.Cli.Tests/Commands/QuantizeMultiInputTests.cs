using System.Text.Json;
using LowBit.Data;
using LowBit.Graph;
using LowBit.Tensors;
using static LowBit.Cli.Tests.Commands.QuantizeCommandTests;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit quantize</c> on a model with four inputs and recurrent state (issue 8 §1).</summary>
public class QuantizeMultiInputTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    /// <summary>A streaming cell with the inputs of a voice-activity detector: input float32 [1,64], sr int64 scalar,
    /// h and c float32 [1,8] → out [1,8], hn, cn. hn = tanh((input·W)·(sr/16000) + h·Wh), cn = (c + hn)·½, out = hn·Wo.</summary>
    internal static Graph.Graph StreamingCell()
    {
        var rng = new Random(5);
        Tensor W(int rows, int cols) =>
            Tensor.FromArray(Enumerable.Range(0, rows * cols).Select(_ => (float)((rng.NextDouble() * 2 - 1) / Math.Sqrt(rows))).ToArray(), rows, cols);
        var g = new Graph.Graph { Name = "cell" };
        g.Opsets = new Dictionary<string, long> { [""] = 17 };
        g.Metadata.IrVersion = 8;
        g.Inputs.Add(ValueInfo.Of("input", DType.Float32, 1, 64));
        g.Inputs.Add(ValueInfo.Of("sr", DType.Int64));
        g.Inputs.Add(ValueInfo.Of("h", DType.Float32, 1, 8));
        g.Inputs.Add(ValueInfo.Of("c", DType.Float32, 1, 8));
        foreach (var o in new[] { "out", "hn", "cn" }) g.Outputs.Add(ValueInfo.Of(o, DType.Float32, 1, 8));
        g.Initializers["W"] = W(64, 8);
        g.Initializers["Wh"] = W(8, 8);
        g.Initializers["Wo"] = W(8, 8);
        g.Initializers["rate"] = Tensor.Scalar(16000f);
        g.Initializers["half"] = Tensor.Scalar(0.5f);
        g.Add("MatMul", ["input", "W"], ["proj"], "proj");
        g.Add("Cast", ["sr"], ["srf"], "srf").With("to", 1L);
        g.Add("Div", ["srf", "rate"], ["scale"], "scale");
        g.Add("Mul", ["proj", "scale"], ["scaled"], "scaled");
        g.Add("MatMul", ["h", "Wh"], ["rec"], "rec");
        g.Add("Add", ["scaled", "rec"], ["z"], "z");
        g.Add("Tanh", ["z"], ["hn"], "tanh");
        g.Add("Add", ["c", "hn"], ["csum"], "csum");
        g.Add("Mul", ["csum", "half"], ["cn"], "cn");
        g.Add("MatMul", ["hn", "Wo"], ["out"], "head");
        return g;
    }

    private string Chunks(int n)
    {
        string dir = h.PathOf("chunks");
        Directory.CreateDirectory(dir);
        var rng = new Random(1);
        for (int i = 0; i < n; i++)
            Npy.Write(Path.Combine(dir, $"{i:D4}.npy"), Tensor.FromArray(Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), 1, 64));
        return dir;
    }

    [Theory]
    [InlineData("weight-only")]
    [InlineData("dynamic")]
    public void Quantize_FourInputsWithoutData_WeightOnlyAndDynamicNeedNone(string mode)
    {
        var model = h.Save(StreamingCell(), "cell.onnx");
        var r = CliHarness.Run("quantize", model, "--out", h.PathOf($"{mode}.onnx"), "--mode", mode, "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(mode, r.Json().GetProperty("mode").GetString());
        Assert.Equal(JsonValueKind.Null, r.Json().GetProperty("calibration").ValueKind);
    }

    [Fact]
    public void Quantize_StaticStreaming_ChunkFolderConstantAndFedBackState()
    {
        var model = h.Save(StreamingCell(), "cell.onnx");
        string dir = Chunks(30);
        string spec = $"npy=input:{dir},sr=const:16000";
        var r = CliHarness.Run("quantize", model, "--out", h.PathOf("s.onnx"), "--calib-data", spec, "--stream", "hn=h", "--stream", "cn=c",
            "--calibration", "minmax", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var cal = r.Json().GetProperty("calibration");
        Assert.Equal(30, cal.GetProperty("samples").GetInt32());
        Assert.Equal(spec + "[0:30]", cal.GetProperty("data").GetString());
        // h is fed back: its observed range is the trajectory's, not the zeros a per-sample run would see.
        var manifest = JsonDocument.Parse(File.ReadAllText(h.PathOf("s.lowbit.json"))).RootElement;
        var hRange = manifest.GetProperty("tensors").EnumerateArray().First(t => t.GetProperty("name").GetString() == "h").GetProperty("range");
        Assert.True(hRange[1].GetDouble() - hRange[0].GetDouble() > 0.1, hRange.ToString());
    }

    [Fact]
    public void Quantize_StaticNpzPerSample_ArraysByInputName()
    {
        var model = h.Save(StreamingCell(), "cell.onnx");
        string dir = h.PathOf("npz");
        Directory.CreateDirectory(dir);
        for (int i = 0; i < 4; i++)
            Npz.Write(Path.Combine(dir, $"{i}.npz"), new Dictionary<string, Tensor>
            {
                ["input"] = Tensor.FromArray(Enumerable.Repeat(0.1f * i, 64).ToArray(), 1, 64),
                ["h"] = Tensor.Zeros(DType.Float32, 1, 8),
                ["c"] = Tensor.Zeros(DType.Float32, 1, 8),
            });
        var r = CliHarness.Run("quantize", model, "--out", h.PathOf("z.onnx"), "--calib-data", $"npz={dir},sr=const:16000", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(4, r.Json().GetProperty("calibration").GetProperty("samples").GetInt32());
    }

    [Fact]
    public void Quantize_StaticStateWithoutData_ErrorSuggestsStream()
    {
        var model = h.Save(StreamingCell(), "cell.onnx");
        string dir = Chunks(2);
        AssertError(CliHarness.Run("quantize", model, "--out", h.PathOf("e.onnx"), "--calib-data", $"npy=input:{dir},sr=const:16000", "--stream", "hn=h"), 6,
            "--calib-data", "input 'c' (float32 [1,8]) has no data", "--stream OUTPUT=c");
    }

    [Fact]
    public void Quantize_StreamUnknownOutput_UsageErrorListsOutputs()
    {
        var model = h.Save(StreamingCell(), "cell.onnx");
        AssertError(CliHarness.Run("quantize", model, "--out", h.PathOf("e.onnx"), "--calib-data", "random:4", "--stream", "state=h"), 2,
            "--stream state=h", "has no output 'state'", "out, hn, cn");
    }

    [Fact]
    public void Quantize_RandomDataForSeveralInputs_Calibrates()
    {
        var model = h.Save(StreamingCell(), "cell.onnx");
        var r = CliHarness.Run("quantize", model, "--out", h.PathOf("r.onnx"), "--calib-data", "random:8", "--stream", "hn=h", "--stream", "cn=c", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(8, r.Json().GetProperty("calibration").GetProperty("samples").GetInt32());
    }

    [Fact]
    public void Compare_SeveralInputs_MultiInputSpecOneCallPerSample()
    {
        var model = h.Save(StreamingCell(), "cell.onnx");
        string q = h.PathOf("c.onnx");
        Assert.Equal(0, CliHarness.Run("quantize", model, "--out", q, "--calib-data", "random:8", "--threads", "1").Code);
        var r = CliHarness.Run("compare", model, q, "--data", $"npy=input:{Chunks(5)},sr=const:16000,h=const:0,c=const:0", "--no-attribution", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal(5, j.GetProperty("samples").GetInt32());
        Assert.Contains(j.GetProperty("layers").EnumerateArray(), l => l.GetProperty("tensor").GetString() == "h");
    }
}
