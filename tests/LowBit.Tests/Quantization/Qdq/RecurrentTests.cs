using LowBit.Formats;
using LowBit.Nn;
using LowBit.Quantization;
using LowBit.Tensors;
using Xunit.Abstractions;
using static LowBit.Tests.Quantization.GraphQuery;
using static LowBit.Tests.Quantization.QuantTestModels;

namespace LowBit.Tests.Quantization.Qdq;

/// <summary>
/// LSTM/GRU in every mode: weight-only and static store W and R as int8 behind DequantizeLinear feeding the float op;
/// dynamic writes com.microsoft DynamicQuantizeLSTM (GRU keeps the weight-only form and says why). Model: x [N, 5, 12]
/// → MatMul 12→16 → Relu → Transpose → LSTM/GRU (16) → Y_h → Gemm 16→6.
/// Tolerances against the float model, relative to its largest output (the seeded weights, σ = 0.5, make the gates
/// sensitive): weight-only measured 1.2 % (LSTM) and 2.5 % (GRU; ORT's MatMulNBits also rounds the projection's input
/// to int8); dynamic, which also rounds x and every step's h to 8 bits, 2.2–2.6 %; static 2.4 %. Bounds 5 % (about
/// twice the measurements; a broken scale or layout gives errors of order 100 %).
/// </summary>
public class RecurrentTests(ITestOutputHelper output)
{
    internal static Graph.Graph Model(string op, int seed = 3)
    {
        var b = new GraphBuilder("rnn", seed);
        int gates = op == "LSTM" ? 4 : 3, h = 16;
        string x = b.Input("x", DType.Float32, 5, 12);
        string w1 = b.KaimingNormal("proj", "weight", 12, [12, 16]);
        x = b.Relu(b.MatMul(x, w1, "proj"), "relu");
        x = b.Transpose(x, [1, 0, 2], "time_major");
        string rnn = b.UniqueName("rnn");
        string w = b.TruncatedNormal(rnn, "W", [1, gates * h, 16], 0.5);
        string r = b.TruncatedNormal(rnn, "R", [1, gates * h, h], 0.5);
        string bias = b.TruncatedNormal(rnn, "B", [1, 2 * gates * h], 0.1);
        b.Graph.Add(op, [x, w, r, bias], ["", "rnn.Y_h"], rnn).With("hidden_size", (long)h);
        x = b.Reshape("rnn.Y_h", [-1, h], "last");
        b.Output(b.Linear(x, h, 6, "fc", gain: 1.0), "logits", DType.Float32, 6);
        return b.Graph;
    }

    private static readonly QuantizerConfig WeightOnlyInt8 = new(QuantMode.WeightOnly, WeightQuantConfig.Int8PerChannel);

    /// <summary>Max |float − quantized in ORT| / max |float|; with <paramref name="strict"/>, LowBit and ORT also agree on
    /// the quantized model to 1e-4 (not in weight-only mode: ORT's MatMulNBits at accuracy level 4 rounds its input to
    /// int8, which LowBit's float reference does not, docs/quantization.md).</summary>
    private float RelativeError(Graph.Graph f, Graph.Graph q, string what, bool strict = true)
    {
        float worst = 0;
        foreach (var x in RandomData(f, 3, batch: 4, seed: 11))
        {
            var reference = RunLowBit(f, x);
            worst = Math.Max(worst, MaxAbsDiff(reference, RunOrt(q, x)) / MaxAbs(reference));
            if (strict) Assert.True(MaxAbsDiff(RunLowBit(q, x), RunOrt(q, x)) < 1e-4f, $"{what}: LowBit and ONNX Runtime differ on the quantized model");
        }
        output.WriteLine($"{what}: max |float − quantized (ORT)| / max |float| = {worst:G3}");
        return worst;
    }

    [Theory]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    public void WeightOnly_Recurrent_WAndRInt8BehindDequantizeLinear(string op)
    {
        var f = Model(op);
        var q = Quantizer.Quantize(f, WeightOnlyInt8).Graph;
        var rnn = Node(q, "rnn");
        Assert.Equal(op, rnn.OpType);
        foreach (int i in new[] { 1, 2 })
        {
            var dq = InputDq(q, "rnn", i);
            Assert.Equal(DType.Int8, q.Initializers[dq.Inputs[0]].DType);
            Assert.Equal(1L, dq.Get<long?>("axis"));  // one scale per gate row
            Assert.Equal(f.Initializers[rnn.Inputs[i]].Shape, q.Initializers[dq.Inputs[0]].Shape);
        }
        Assert.Equal(DType.Float32, q.Initializers[rnn.Inputs[3]].DType);  // B stays float
        Assert.InRange(RelativeError(f, q, $"weight-only {op}", strict: false), 0, 0.05f);
    }

    [Fact]
    public void Dynamic_Lstm_DynamicQuantizeLstmInOnnxRuntimeLayout()
    {
        var f = Model("LSTM");
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic)).Graph;
        Assert.Equal(0, Count(q, "LSTM"));
        var n = Assert.Single(q.Nodes, n => n.OpType == "DynamicQuantizeLSTM");
        Assert.Equal("com.microsoft", n.Domain);
        Assert.Equal(12, n.Inputs.Count);
        Assert.Equal(16L, n.Get<long?>("hidden_size"));
        // W [1, 64, 16] → codes [dirs, in, 4H]; R [1, 64, 16] → [dirs, H, 4H]; per-row scales [dirs, 4H], zero points 0.
        Assert.Equal([1, 16, 64], q.Initializers[n.Inputs[1]].Shape);
        Assert.Equal([1, 16, 64], q.Initializers[n.Inputs[2]].Shape);
        Assert.Equal(DType.Int8, q.Initializers[n.Inputs[1]].DType);
        foreach (int i in new[] { 8, 10 }) Assert.Equal([1, 64], q.Initializers[n.Inputs[i]].Shape);
        foreach (int i in new[] { 9, 11 }) Assert.All(q.Initializers[n.Inputs[i]].ToInt64Array(), z => Assert.Equal(0, z));
        Assert.Equal("", n.Inputs[4]);
        // Codes transposed, not reshaped: code[0, k, g] is the quantized W[0, g, k].
        var w = f.Initializers["rnn.W"].ToFloatArray();
        var codes = q.Initializers[n.Inputs[1]].ToInt64Array();
        var s = q.Initializers[n.Inputs[8]].ToFloatArray();
        for (int g = 0; g < 64; g += 7)
            for (int k = 0; k < 16; k += 5)
                Assert.Equal(Math.Round(w[g * 16 + k] / s[g]), codes[k * 64 + g]);
        Assert.InRange(RelativeError(f, q, "dynamic LSTM"), 0, 0.05f);
    }

    [Fact]
    public void Dynamic_Gru_KeepsWeightOnlyFormAndSaysWhy()
    {
        var f = Model("GRU");
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic));
        Assert.Equal("GRU", Node(q.Graph, "rnn").OpType);
        InputDq(q.Graph, "rnn", 1);
        InputDq(q.Graph, "rnn", 2);
        Assert.Contains(q.Warnings, w => w.Contains("rnn") && w.Contains("no dynamic GRU kernel") && w.Contains("weight-only"));
        Assert.Equal(2, Count(q.Graph, "MatMulInteger"));  // the projection and the head are still dynamic
        Assert.InRange(RelativeError(f, q.Graph, "dynamic GRU"), 0, 0.05f);
    }

    [Fact]
    public void Dynamic_AsymmetricInt8Lstm_FallsBackToWeightOnlyWithReason()
    {
        var f = Model("LSTM");
        var w = new WeightQuantConfig(FormatTable.Get("int8"), scheme: QuantScheme.Asymmetric);
        var q = Quantizer.Quantize(f, new QuantizerConfig(QuantMode.Dynamic, w));
        Assert.Equal("LSTM", Node(q.Graph, "rnn").OpType);
        Assert.Contains(q.Warnings, m => m.Contains("zero points 0"));
        Assert.InRange(RelativeError(f, q.Graph, "dynamic asymmetric LSTM"), 0, 0.05f);
    }

    [Fact]
    public void Static_Lstm_SurroundingOpsQuantizedLstmFloatWithInt8Weights()
    {
        var f = Model("LSTM");
        var q = Quantizer.Quantize(f, new QuantizerConfig(), RandomData(f, 8, batch: 4)).Graph;
        Assert.Equal("LSTM", Node(q, "rnn").OpType);
        InputDq(q, "rnn", 1);
        InputDq(q, "rnn", 2);
        InputDq(q, "proj", 0);  // the MatMul before and the Gemm after get activation Q/DQ
        InputDq(q, "fc", 0);
        Assert.Equal(0, Count(q, "DynamicQuantizeLSTM"));
        Assert.InRange(RelativeError(f, q, "static LSTM"), 0, 0.05f);
    }
}
