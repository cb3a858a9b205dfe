using LowBit.Formats;
using LowBit.Graph;
using LowBit.Nn.Qat;
using LowBit.Runtime;
using LowBit.Tensors;
using ModelGraph = LowBit.Graph.Graph;

namespace LowBit.Tests.Nn.Qat;

/// <summary>
/// The training-time fake quantizer against independent oracles: its forward against ONNX QuantizeLinear →
/// DequantizeLinear (LowBit's ops, which the ONNX backend node tests and ONNX Runtime parity check) element for element,
/// its backward against the papers' formulas written out here in double (LSQ, PACT, straight-through).
/// </summary>
public sealed class FakeQuantizeOpTests
{
    private static float[] Random(int n, int seed, float spread)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2 - 1) * spread)).ToArray();
    }

    private static ModelGraph FakeQuantGraph(int[] shape, Tensor scale, Tensor zero, string format, string method, long axis = 1, long block = 0, long batchAxis = -1)
    {
        var g = new ModelGraph();
        g.Opsets[""] = 21;
        g.Inputs.Add(ValueInfo.Of("x", DType.Float32, shape.Select(d => (long)d).ToArray()));
        g.Initializers["s"] = scale;
        g.Initializers["z"] = zero;
        var n = g.Add(FakeQuantizeOp.OpType, ["x", "s", "z"], ["y"], "fq", FakeQuantizeOp.Domain);
        n.With("format", format).With("method", method).With("axis", axis).With("block_size", block).With("batch_axis", batchAxis);
        g.Outputs.Add(new ValueInfo("y", DType.Float32, null));
        return g;
    }

    [Theory]
    [InlineData("int8", 0, 0)]
    [InlineData("uint8", -1, 0)]
    [InlineData("int4", 1, 0)]
    [InlineData("uint4", -1, 0)]
    [InlineData("int4", 1, 16)]
    [InlineData("fp8-e4m3", 0, 0)]
    public void Forward_EqualsQuantizeLinearThenDequantizeLinear(string format, int axis, int block)
    {
        var f = FormatTable.Get(format);
        int[] shape = [6, 32];
        var x = Random(6 * 32, 1, 3f);
        Tensor scale, zero;
        var zType = f.OnnxType!.Value;
        if (axis < 0) { scale = Tensor.FromArray(new[] { 0.37f }, []); zero = LowBit.Formats.CodeStorage.ToTensor([f.IntegerRange!.Value.Min + 3], zType, []); }
        else if (block > 0) { scale = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => 0.1f + 0.05f * i).ToArray(), [6, 2]); zero = LowBit.Formats.CodeStorage.ToTensor(new int[12], zType, [6, 2]); }
        else
        {
            int c = shape[axis];
            scale = Tensor.FromArray(Enumerable.Range(0, c).Select(i => 0.2f + 0.01f * i).ToArray(), [c]);
            zero = LowBit.Formats.CodeStorage.ToTensor(new int[c], zType, [c]);
        }
        var fq = FakeQuantGraph(shape, scale, zero, format, "lsq", Math.Max(axis, 0), block);
        var qdq = new ModelGraph();
        qdq.Opsets[""] = 21;
        qdq.Inputs.Add(ValueInfo.Of("x", DType.Float32, shape.Select(d => (long)d).ToArray()));
        qdq.Initializers["s"] = scale;
        qdq.Initializers["z"] = zero;
        var q = qdq.Add("QuantizeLinear", ["x", "s", "z"], ["q"]);
        var dq = qdq.Add("DequantizeLinear", ["q", "s", "z"], ["y"]);
        if (axis >= 0) { q.With("axis", (long)axis); dq.With("axis", (long)axis); }
        if (block > 0) { q.With("block_size", (long)block); dq.With("block_size", (long)block); }
        qdq.Outputs.Add(new ValueInfo("y", DType.Float32, null));
        var input = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(x, shape) };
        var expected = new Session(qdq).Run(input)["y"].ToFloatArray();
        var actual = new Session(fq).Run(input)["y"].ToFloatArray();
        Assert.Equal(expected, actual);
    }

    /// <summary>Backward of one per-channel int4 fake quantizer on [4 samples, 3 channels, 5], with the scale per channel
    /// along axis 1 and the batch along axis 0 (activation-style): N = 5 elements per scale and sample, Q_P = 8.</summary>
    [Theory]
    [InlineData("lsq")]
    [InlineData("pact")]
    [InlineData("ste")]
    public void Backward_MatchesThePapersFormulas(string method)
    {
        int[] shape = [4, 3, 5];
        var x = Random(60, 7, 2.5f);
        float[] s = [0.2f, 0.31f, 0.45f];
        int[] z = [0, 1, -2];
        var g = FakeQuantGraph(shape, Tensor.FromArray(s, [3]), LowBit.Formats.CodeStorage.ToTensor(z, DType.Int8, [3]), "int4", method, axis: 1, batchAxis: 0);
        var session = new TrainingSession(g);
        session.Forward(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(x, shape) });
        var dy = Random(60, 8, 1f);
        var grads = session.Backward(new Dictionary<string, Tensor> { ["y"] = Tensor.FromArray(dy, shape) }, ["x", "s"]);
        var dx = grads["x"].ToFloatArray();
        var ds = grads["s"].ToFloatArray();
        var want = new double[3];
        for (int i = 0; i < 60; i++)
        {
            int c = i / 5 % 3;
            double v = x[i] / (double)s[c], r = Math.Round(v, MidpointRounding.ToEven) + z[c];
            bool inside = r >= -8 && r <= 7;
            Assert.Equal(inside ? dy[i] : 0f, dx[i]);
            double level = Math.Clamp(r, -8, 7) - z[c];
            if (method == "lsq") want[c] += dy[i] * (inside ? level - v : level);
            if (method == "pact" && !inside) want[c] += dy[i] * level;
        }
        for (int c = 0; c < 3; c++)
        {
            double factor = method == "lsq" ? 1 / Math.Sqrt(5 * 8.0) : 1 / Math.Pow(7 - z[c], 2);
            double expected = want[c] * factor;
            Assert.Equal(expected, ds[c], 1e-5 * Math.Max(1, Math.Abs(expected)));
        }
        if (method == "ste") Assert.All(ds, v => Assert.Equal(0f, v));
        else Assert.Contains(ds, v => v != 0);
    }

    /// <summary>BitNet b1.58: γ = mean |W| per output channel, W̃ = clamp(round(W/γ), −1, 1)·γ, recomputed from W (the scale
    /// input is ignored), and the gradient passes straight through inside [−1.5γ, 1.5γ].</summary>
    [Theory]
    [InlineData("absmean")]
    [InlineData("absmedian")]
    public void ScaleFrom_Absmean_IsBitNetTernary(string rule)
    {
        int[] shape = [4, 9];
        var w = Random(36, 11, 1f);
        var g = FakeQuantGraph(shape, Tensor.FromArray(new[] { 5f, 5f, 5f, 5f }, [4]), Tensor.Zeros(DType.Int8, 4), "ternary", "lsq", axis: 0);
        g.Nodes[0].With("scale_from", rule);
        var session = new TrainingSession(g);
        var y = session.Forward(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(w, shape) })["y"].ToFloatArray();
        var dy = Random(36, 12, 1f);
        var grads = session.Backward(new Dictionary<string, Tensor> { ["y"] = Tensor.FromArray(dy, shape) }, ["x", "s"]);
        for (int c = 0; c < 4; c++)
        {
            var abs = w.Skip(c * 9).Take(9).Select(v => (double)Math.Abs(v)).OrderBy(v => v).ToArray();
            double gamma = rule == "absmean" ? abs.Average() : abs[4];
            for (int i = c * 9; i < c * 9 + 9; i++)
            {
                double q = Math.Clamp(Math.Round(w[i] / gamma, MidpointRounding.ToEven), -1, 1);
                Assert.Equal(q * gamma, y[i], 1e-5);
                Assert.Equal(Math.Abs(w[i] / gamma) <= 1.5 ? dy[i] : 0f, grads["x"].ToFloatArray()[i]);
            }
        }
        Assert.All(grads["s"].ToFloatArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void FakeQuantizeBias_RoundsToTheInt32GridOfSxTimesSw()
    {
        var g = new ModelGraph();
        g.Opsets[""] = 21;
        g.Inputs.Add(ValueInfo.Of("b", DType.Float32, 3));
        g.Initializers["sx"] = Tensor.FromArray(new[] { 0.02f }, []);
        g.Initializers["sw"] = Tensor.FromArray(new[] { 0.5f, 0.25f, 1e-3f }, [3]);
        g.Add(FakeQuantizeOp.BiasOpType, ["b", "sx", "sw"], ["y"], "fqb", FakeQuantizeOp.Domain);
        g.Outputs.Add(new ValueInfo("y", DType.Float32, null));
        float[] b = [0.0149f, -0.0126f, 3.3333e-5f];
        var y = new Session(g).Run(new Dictionary<string, Tensor> { ["b"] = Tensor.FromArray(b, 3) })["y"].ToFloatArray();
        // steps 0.01, 0.005, 2e-5: 1.49 → 1, −2.52 → −3, 1.67 → 2
        Assert.Equal(new[] { 0.02f * 0.5f * 1, 0.02f * 0.25f * -3, 0.02f * 1e-3f * 2 }, y);
        // codes beyond int32 leave the bias float, as the exporter does
        var big = new Session(g).Run(new Dictionary<string, Tensor> { ["b"] = Tensor.FromArray(new[] { 1f, 1f, 1e9f }, 3) })["y"].ToFloatArray();
        Assert.Equal(new[] { 1f, 1f, 1e9f }, big);
    }
}
