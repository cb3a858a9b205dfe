using LowBit.Graph;
using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Onnx.Ops;

/// <summary>
/// com.microsoft DynamicQuantizeLSTM in LowBit's engine against ONNX Runtime 1.31 on random inputs and codes.
/// Both quantize X and each step's h to uint8 with DynamicQuantizeLinear's rule and sum exact integer products, so they
/// differ only by float rounding in the scaling and the gate math (measured ≤ 2e-6); 1e-4 leaves room for an h value that
/// lands on a rounding boundary of its quantization (one step of h moves the next gates by about s_h·Σ|R|·s_R ≈ 1e-3, and
/// such a tie has not occurred on these seeds). int8 codes stay in [−64, 63] (what reduce-range writes): on CPUs without
/// VNNI ONNX Runtime's u8·s8 kernel sums pairs of products in int16 (vpmaddubsw), which saturates for full-range codes
/// (255·127·2 &gt; 32767) and then differs from the exact sum by up to 30 % here.
/// </summary>
public class DynamicQuantizeLstmTests
{
    private static Graph.Graph Model(int dirs, int seq, int batch, int input, int hidden, DType codes, bool perRow, bool peepholes, int seed)
    {
        var rng = new Random(seed);
        float U(double a) => (float)((rng.NextDouble() * 2 - 1) * a);
        Tensor Codes(params int[] shape)
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            return codes == DType.Int8
                ? Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (sbyte)rng.Next(-64, 64)).ToArray(), shape)
                : Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (byte)rng.Next(0, 256)).ToArray(), shape);
        }
        Tensor Floats(double a, params int[] shape) => Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (x, y) => x * y)).Select(_ => U(a)).ToArray(), shape);
        int gh = 4 * hidden;
        int[] sShape = perRow ? [dirs, gh] : [dirs];
        int sCount = sShape.Aggregate(1, (a, b) => a * b);
        Tensor Scales(double typical) => Tensor.FromArray(Enumerable.Range(0, sCount).Select(_ => (float)(typical * (0.5 + rng.NextDouble()))).ToArray(), sShape);
        // int8 codes need zero points 0; uint8 one zero point in all (ONNX Runtime's rule).
        Tensor Zeros() => codes == DType.Int8 ? Tensor.Zeros(DType.Int8, sShape) : Tensor.FromArray(Enumerable.Repeat((byte)128, sCount).ToArray(), sShape);

        var g = new Graph.Graph { Name = "dqlstm", Opsets = new() { [""] = 17, ["com.microsoft"] = 1 } };
        g.Inputs.Add(ValueInfo.Of("X", DType.Float32, seq, batch, input));
        g.Inputs.Add(ValueInfo.Of("h0", DType.Float32, dirs, batch, hidden));
        g.Inputs.Add(ValueInfo.Of("c0", DType.Float32, dirs, batch, hidden));
        g.Initializers["W"] = Codes(dirs, input, gh);
        g.Initializers["R"] = Codes(dirs, hidden, gh);
        g.Initializers["B"] = Floats(0.5, dirs, 8 * hidden);
        g.Initializers["P"] = Floats(0.5, dirs, 3 * hidden);
        g.Initializers["W_scale"] = Scales(0.3 / 127 / Math.Sqrt(input));
        g.Initializers["W_zero_point"] = Zeros();
        g.Initializers["R_scale"] = Scales(0.3 / 127 / Math.Sqrt(hidden));
        g.Initializers["R_zero_point"] = Zeros();
        g.Add("DynamicQuantizeLSTM", ["X", "W", "R", "B", "", "h0", "c0", peepholes ? "P" : "", "W_scale", "W_zero_point", "R_scale", "R_zero_point"],
            ["Y", "Y_h", "Y_c"], "lstm", "com.microsoft")
            .With("hidden_size", (long)hidden).With("direction", dirs == 2 ? "bidirectional" : "forward");
        g.Outputs.Add(ValueInfo.Of("Y", DType.Float32, seq, dirs, batch, hidden));
        g.Outputs.Add(ValueInfo.Of("Y_h", DType.Float32, dirs, batch, hidden));
        g.Outputs.Add(ValueInfo.Of("Y_c", DType.Float32, dirs, batch, hidden));
        return g;
    }

    private static Dictionary<string, Tensor> Inputs(Graph.Graph g, int seed)
    {
        var rng = new Random(seed);
        return g.Inputs.ToDictionary(i => i.Name, i =>
        {
            var shape = i.Shape!.Select(d => (int)d.Value!.Value).ToArray();
            var v = Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            return Tensor.FromArray(v, shape);
        });
    }

    [Theory]
    [InlineData(1, DType.Int8, true, false, 1)]
    [InlineData(2, DType.Int8, false, false, 2)]
    [InlineData(1, DType.UInt8, true, true, 3)]
    [InlineData(2, DType.UInt8, true, true, 4)]
    public void DynamicQuantizeLstm_RandomCodes_MatchesOnnxRuntime(int dirs, DType codes, bool perRow, bool peepholes, int seed)
    {
        var g = Model(dirs, seq: 6, batch: 3, input: 20, hidden: 8, codes, perRow, peepholes, seed);
        var x = Inputs(g, seed + 100);
        var ours = new Session(g, new SessionOptions { Threads = 1 }).Run(x);
        using var ort = OrtRunner.FromGraph(g, threads: 1);
        var theirs = ort.Run(x);
        foreach (var name in new[] { "Y", "Y_h", "Y_c" })
        {
            Assert.Equal(theirs[name].Shape, ours[name].Shape);
            TensorAssert.Close(theirs[name], ours[name], rtol: 0, atol: 1e-4);
        }
        // The recurrence matters: the last step's state is not the first step's.
        float moved = ours["Y"].ToFloatArray().Take(24).Zip(ours["Y_h"].ToFloatArray()).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(moved > 1e-3f, $"first and last states differ by only {moved}");
    }

    [Fact]
    public void DynamicQuantizeLstm_MissingScale_ThrowsNamingIt()
    {
        var g = Model(1, 2, 1, 4, 2, DType.Int8, true, false, 5);
        g.Nodes[0].Inputs[10] = "";
        var e = Assert.ThrowsAny<Exception>(() => new Session(g).Run(Inputs(g, 6)));
        Assert.Contains("R_scale", e.Message);
    }

    [Fact]
    public void DynamicQuantizeLstm_ScaleShapeWrong_ThrowsWithExpectedShape()
    {
        var g = Model(1, 2, 1, 4, 2, DType.Int8, true, false, 5);
        g.Initializers["W_scale"] = Tensor.FromArray(new float[3], 3);
        var e = Assert.ThrowsAny<Exception>(() => new Session(g).Run(Inputs(g, 6)));
        Assert.Contains("W_scale", e.Message);
        Assert.Contains("[1,8]", e.Message);
    }
}
