using LowBit.Tensors;
using static LowBit.Tests.Onnx.Ops.LayoutParity;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// LSTM, GRU and RNN with random weights against ONNX Runtime. Tolerance 1e-5 of the output range: both compute in
/// float32, but ONNX Runtime uses its own GEMM and vectorized activation approximations, so results differ in the last bits.
/// </summary>
public class RecurrentTests
{
    private const int Seq = 5, Batch = 3, In = 4, H = 6;

    private static NodeInput?[] Inputs(int seed, int gates, int dirs, bool bias, bool lens, bool init, bool cell, bool peep, bool batchwise)
    {
        var r = new Random(seed);
        var x = batchwise ? RandomTensors.Floats(r, -1, 1, Batch, Seq, In) : RandomTensors.Floats(r, -1, 1, Seq, Batch, In);
        var list = new List<NodeInput?>
        {
            NodeInput.Fed("X", x),
            NodeInput.Const("W", RandomTensors.Floats(r, -0.5f, 0.5f, dirs, gates * H, In)),
            NodeInput.Const("R", RandomTensors.Floats(r, -0.5f, 0.5f, dirs, gates * H, H)),
            bias ? NodeInput.Const("B", RandomTensors.Floats(r, -0.5f, 0.5f, dirs, 2 * gates * H)) : null,
            lens ? NodeInput.Const("L", Tensor.FromArray(new[] { 5, 2, 4 }, Batch)) : null,
        };
        int[] stateShape = batchwise ? [Batch, dirs, H] : [dirs, Batch, H];
        list.Add(init ? NodeInput.Const("h0", RandomTensors.Floats(r, -1, 1, stateShape)) : null);
        if (gates == 4)
        {
            list.Add(cell ? NodeInput.Const("c0", RandomTensors.Floats(r, -1, 1, stateShape)) : null);
            list.Add(peep ? NodeInput.Const("P", RandomTensors.Floats(r, -0.5f, 0.5f, dirs, 3 * H)) : null);
        }
        return list.ToArray();
    }

    [Theory]
    [InlineData("forward", false, false, false)]
    [InlineData("reverse", true, true, false)]
    [InlineData("bidirectional", true, true, true)]
    [InlineData("bidirectional", false, true, false)]
    public void Lstm_RandomWeights_MatchesOnnxRuntime(string direction, bool lens, bool peep, bool inputForget)
    {
        int dirs = direction == "bidirectional" ? 2 : 1;
        Check("LSTM", 13, Inputs(1, 4, dirs, true, lens, true, true, peep, false), [DType.Float32, DType.Float32, DType.Float32], 1e-5,
            ("hidden_size", (long)H), ("direction", direction), ("input_forget", inputForget ? 1L : 0L));
    }

    /// <summary>layout = 1 (ONNX Runtime's CPU provider refuses it): the same op on batch-major copies of X and the
    /// initial states must give batch-major copies of the layout-0 outputs, exactly.</summary>
    [Theory]
    [InlineData("LSTM", 4)]
    [InlineData("GRU", 3)]
    [InlineData("RNN", 1)]
    public void BatchwiseLayout_EqualsTransposedSequenceMajor(string op, int gates)
    {
        var seqMajor = Inputs(2, gates, 2, true, true, true, gates == 4, gates == 4, false);
        var outs = gates == 4 ? 3 : 2;
        var attrs = new (string, object)[] { ("hidden_size", (long)H), ("direction", "bidirectional") };
        var a = Ours(op, 14, seqMajor, outs, attrs);
        var batchMajor = seqMajor.Select(i => i is null || i.Name is "W" or "R" or "B" or "L" or "P" ? i
            : i with { Value = Swap01(i.Value!) }).ToArray();
        var b = Ours(op, 14, batchMajor, outs, [.. attrs, ("layout", 1L)]);
        // Y: [seq, dirs, batch, H] vs [batch, seq, dirs, H].
        var y = Ours("Transpose", 13, [NodeInput.Fed("y", a[0])], 1, ("perm", new long[] { 2, 0, 1, 3 }))[0];
        Assert.Equal(y.ToFloatArray(), b[0].ToFloatArray());
        for (int k = 1; k < outs; k++) Assert.Equal(Swap01(a[k]).ToFloatArray(), b[k].ToFloatArray());
    }

    private static Tensor Swap01(Tensor t) => Ours("Transpose", 13, [NodeInput.Fed("t", t)], 1, ("perm", new long[] { 1, 0, 2 }))[0];

    [Fact]
    public void Lstm_ClipAndCustomActivations_MatchOnnxRuntime() =>
        Check("LSTM", 13, Inputs(3, 4, 1, true, false, false, false, false, false), [DType.Float32, DType.Float32], 1e-5,
            ("hidden_size", (long)H), ("clip", 0.4f), ("activations", new[] { "HardSigmoid", "Tanh", "Softsign" }),
            ("activation_alpha", new[] { 0.3f }), ("activation_beta", new[] { 0.4f }));

    [Theory]
    [InlineData("forward", 0L, false)]
    [InlineData("reverse", 1L, true)]
    [InlineData("bidirectional", 0L, true)]
    [InlineData("bidirectional", 1L, false)]
    public void Gru_RandomWeights_MatchesOnnxRuntime(string direction, long linearBeforeReset, bool lens)
    {
        int dirs = direction == "bidirectional" ? 2 : 1;
        Check("GRU", 13, Inputs(4, 3, dirs, true, lens, true, false, false, false), [DType.Float32, DType.Float32], 1e-5,
            ("hidden_size", (long)H), ("direction", direction), ("linear_before_reset", linearBeforeReset));
    }

    [Fact]
    public void Gru_NoBiasNoInitialState_MatchesOnnxRuntime() =>
        Check("GRU", 14, Inputs(5, 3, 1, false, false, false, false, false, false), [DType.Float32, DType.Float32], 1e-5,
            ("hidden_size", (long)H));

    [Theory]
    [InlineData("forward", null)]
    [InlineData("bidirectional", "Relu")]
    [InlineData("reverse", "Sigmoid")]
    public void Rnn_RandomWeights_MatchesOnnxRuntime(string direction, string? activation)
    {
        int dirs = direction == "bidirectional" ? 2 : 1;
        var attrs = new List<(string, object)> { ("hidden_size", (long)H), ("direction", direction) };
        if (activation is not null) attrs.Add(("activations", Enumerable.Repeat(activation, dirs).ToArray()));
        Check("RNN", 13, Inputs(6, 1, dirs, true, true, true, false, false, false), [DType.Float32, DType.Float32], 1e-5, attrs.ToArray());
    }

    [Fact]
    public void Lstm_OnlyYh_LeavesOtherOutputsUnproduced()
    {
        var ins = Inputs(7, 4, 1, false, false, false, false, false, false);
        var g = OrtParity.OneNode("LSTM", 13, ins, [DType.Float32, DType.Float32], "", ("hidden_size", (long)H));
        g.Nodes[0].Outputs[0] = "";
        g.Outputs.RemoveAt(0);
        var r = new LowBit.Runtime.Session(g).Run(OrtParity.Feeds(ins));
        Assert.Equal(new[] { 1, Batch, H }, r["y1"].Shape);
    }
}
