using System.Text.Json;
using LowBit.Data;
using LowBit.OnnxRuntime;
using LowBit.Tensors;
using static LowBit.Cli.Tests.Commands.QuantizeCommandTests;

namespace LowBit.Cli.Tests.Commands;

/// <summary><c>lowbit eval Q --reference F</c> on a model with several inputs: a multi-input spec, one call per sample (issue 8 §1).</summary>
public class EvalMultiInputTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    private readonly List<Tensor> chunks = [];

    /// <summary>The float four-input cell and its static w8a8 version calibrated on <paramref name="spec"/> (random data
    /// would not do: random sr values calibrate the sr/16000 scale far from the 1.0 that const:16000 gives).</summary>
    private (string Float, string Quantized) Models(string spec)
    {
        var f = h.Save(QuantizeMultiInputTests.StreamingCell(), "cell.onnx");
        string q = h.PathOf("cell.q.onnx");
        var r = CliHarness.Run("quantize", f, "--out", q, "--calib-data", spec, "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        return (f, q);
    }

    /// <summary>A folder of n float32 [1,64] chunks in [-1, 1), also kept in <see cref="chunks"/> for the oracle.</summary>
    private string Chunks(int n)
    {
        string dir = h.PathOf("chunks");
        Directory.CreateDirectory(dir);
        var rng = new Random(3);
        for (int i = 0; i < n; i++)
        {
            var t = Tensor.FromArray(Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), 1, 64);
            chunks.Add(t);
            Npy.Write(Path.Combine(dir, $"{i:D4}.npy"), t);
        }
        return dir;
    }

    private static JsonElement Output(JsonElement result, string name) =>
        result.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == name);

    [Fact]
    public void Eval_ReferenceSeveralInputs_MetricsMatchOrtOracle()
    {
        string spec = $"npy=input:{Chunks(6)},sr=const:16000,h=const:0,c=const:0";
        var (f, q) = Models(spec);
        var r = CliHarness.Run("eval", q, "--reference", f, "--data", spec, "--engine", "ort", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal("fidelity", j.GetProperty("mode").GetString());
        Assert.Equal(spec, j.GetProperty("dataset").GetString());
        Assert.Equal(6, j.GetProperty("samples").GetInt64());
        Assert.Equal(JsonValueKind.Null, j.GetProperty("accuracy").ValueKind);
        Assert.Equal(["out", "hn", "cn"], j.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()));

        // Oracle: both files in ONNX Runtime, per sample cosine of 'out' summed in double. Both sides run the same ORT graphs
        // on the same inputs, so the outputs agree bit for bit (max error exactly); the accumulator sums each row in float32
        // (TensorPrimitives), good to ~8·2⁻²⁴ relative for 8 values: cosine within 1e-6.
        using var fo = OrtRunner.FromFile(f, 1);
        using var qo = OrtRunner.FromFile(q, 1);
        double cosineSum = 0, maxErr = 0;
        foreach (var x in chunks)
        {
            var inputs = new Dictionary<string, Tensor>
            {
                ["input"] = x, ["sr"] = Tensor.Scalar(16000L), ["h"] = Tensor.Zeros(DType.Float32, 1, 8), ["c"] = Tensor.Zeros(DType.Float32, 1, 8),
            };
            var a = fo.Run(inputs)["out"].ToFloatArray();
            var b = qo.Run(inputs)["out"].ToFloatArray();
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < a.Length; i++)
            {
                dot += (double)a[i] * b[i];
                na += (double)a[i] * a[i];
                nb += (double)b[i] * b[i];
                maxErr = Math.Max(maxErr, Math.Abs((double)a[i] - b[i]));
            }
            cosineSum += dot / Math.Sqrt(na * nb);
        }
        var o = Output(j, "out");
        Assert.Equal(cosineSum / chunks.Count, o.GetProperty("cosine_mean").GetDouble(), 1e-6);
        Assert.Equal(maxErr, o.GetProperty("max_abs_error").GetDouble());
        Assert.InRange(o.GetProperty("cosine_mean").GetDouble(), 0.9, 1.0);
        Assert.True(o.GetProperty("sqnr_db").GetDouble() > 10, o.ToString());
        Assert.InRange(o.GetProperty("top1_agreement").GetDouble(), 0, 1);  // [1,8] outputs count as class scores
    }

    [Fact]
    public void Eval_ReferenceSeveralInputsLowBitAgainstOrt_LimitCountsCalls()
    {
        string spec = $"npy=input:{Chunks(5)},sr=const:16000,h=const:0,c=const:0";
        var (f, q) = Models(spec);
        var r = CliHarness.Run("eval", q, "--reference", f, "--data", spec,
            "--engine", "lowbit", "--reference-engine", "ort", "--limit", "3", "--threads", "1", "--json");
        Assert.True(r.Code == 0, r.Err);
        var j = r.Json();
        Assert.Equal(3, j.GetProperty("samples").GetInt64());
        Assert.Equal("lowbit", j.GetProperty("engine").GetString());
        Assert.Equal("ort", j.GetProperty("reference_engine").GetString());
        foreach (var name in new[] { "out", "hn", "cn" })
        {
            Assert.Equal(3, Output(j, name).GetProperty("samples").GetInt64());
            Assert.InRange(Output(j, name).GetProperty("cosine_mean").GetDouble(), 0.9, 1.0);
        }
    }

    [Fact]
    public void Eval_ReferenceSeveralInputsItself_IsExactAndPrintsTable()
    {
        var f = h.Save(QuantizeMultiInputTests.StreamingCell(), "cell.onnx");
        var r = CliHarness.Run("eval", f, "--reference", f, "--data", "random:4", "--threads", "1");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("top-1 agree", r.Out);
        Assert.Contains("cn", r.Out);
        var j = CliHarness.Run("eval", f, "--reference", f, "--data", "random:4", "--threads", "1", "--json").Json();
        Assert.Equal(4, j.GetProperty("samples").GetInt64());
        foreach (var o in j.GetProperty("outputs").EnumerateArray())
        {
            Assert.Equal(1.0, o.GetProperty("cosine_mean").GetDouble(), 1e-12);
            Assert.Equal(0.0, o.GetProperty("max_abs_error").GetDouble());
        }
    }

    [Fact]
    public void Eval_ReferenceSeveralInputsMissingInputData_OneLineErrorNamesInput()
    {
        string dir = Chunks(2);
        var (f, q) = Models($"npy=input:{dir},sr=const:16000,h=const:0,c=const:0");
        AssertError(CliHarness.Run("eval", q, "--reference", f, "--data", $"npy=input:{dir},sr=const:16000"), 6,
            "--data npy=input:", "input 'h' (float32 [1,8]) has no data");
    }

    [Fact]
    public void Eval_ReferenceSeveralInputsWithBatch_UsageError()
    {
        var f = h.Save(QuantizeMultiInputTests.StreamingCell(), "cell.onnx");
        string copy = h.Save(QuantizeMultiInputTests.StreamingCell(), "copy.onnx");  // not MODEL itself: no warning line
        AssertError(CliHarness.Run("eval", copy, "--reference", f, "--data", "random:4", "--batch", "4"), 2,
            "--batch 4", "4 inputs", "one sample per call");
    }

    /// <summary>The cell with state c frozen into an initializer: three inputs, the same outputs.</summary>
    private string CellWithoutC()
    {
        var g = QuantizeMultiInputTests.StreamingCell();
        g.Inputs.RemoveAll(v => v.Name == "c");
        g.Initializers["c"] = Tensor.Zeros(DType.Float32, 1, 8);
        return h.Save(g, "cell-no-c.onnx");
    }

    [Fact]
    public void Eval_ReferenceSeveralInputsModelLacksOne_ErrorNamesModelAndInput()
    {
        var f = h.Save(QuantizeMultiInputTests.StreamingCell(), "cell.onnx");
        string m = CellWithoutC();
        AssertError(CliHarness.Run("eval", m, "--reference", f, "--data", "random:2"), 6, m, "has no input 'c'", "inputs differ");
    }

    [Fact]
    public void Eval_ReferenceSeveralInputsModelReadsMore_ErrorNamesExtraInput()
    {
        var f = h.Save(QuantizeMultiInputTests.StreamingCell(), "cell.onnx");
        string r = CellWithoutC();
        AssertError(CliHarness.Run("eval", f, "--reference", r, "--data", "random:2"), 6, f, "reads c, which", "inputs differ");
    }
}
