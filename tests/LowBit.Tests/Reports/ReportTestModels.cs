using LowBit.Data;
using LowBit.Graph;
using LowBit.Quantization.Prepare;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Reports;

/// <summary>A small float MLP, a QDQ copy of it quantized by hand (one activation deliberately coarse), data.</summary>
public static class ReportTestModels
{
    /// <summary>x [N, 8] → fc1 (Gemm, transB) → h → relu1 → r → fc2 (Gemm, transB) → y [N, 6].</summary>
    public static Graph.Graph FloatMlp(int seed = 11)
    {
        var rng = new Random(seed);
        Tensor Gaussian(params int[] shape)
        {
            var t = Tensor.Zeros(DType.Float32, shape);
            var s = t.AsSpan<float>();
            for (int i = 0; i < s.Length; i++)
                s[i] = (float)(0.5 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            return t;
        }
        var g = new Graph.Graph { Name = "mlp" };
        g.Inputs.Add(new ValueInfo("x", DType.Float32, [Dim.Symbolic("N"), Dim.Known(8)]));
        g.Outputs.Add(new ValueInfo("y", DType.Float32, [Dim.Symbolic("N"), Dim.Known(6)]));
        g.Initializers["fc1.W"] = Gaussian(16, 8);
        g.Initializers["fc1.b"] = Gaussian(16);
        g.Initializers["fc2.W"] = Gaussian(6, 16);
        g.Initializers["fc2.b"] = Gaussian(6);
        g.Add("Gemm", ["x", "fc1.W", "fc1.b"], ["h"], "fc1").With("transB", 1L);
        g.Add("Relu", ["h"], ["r"], "relu1");
        g.Add("Gemm", ["r", "fc2.W", "fc2.b"], ["y"], "fc2").With("transB", 1L);
        return g;
    }

    /// <summary>
    /// A QDQ copy of <see cref="FloatMlp"/> made by hand: x int8 (scale 2/127), both weights int8 per tensor
    /// (scale max|w|/127), and r uint8 with scale <paramref name="reluScale"/> (coarse when large); biases stay float.
    /// </summary>
    public static Graph.Graph HandQdq(Graph.Graph f, float reluScale)
    {
        var g = GraphCopy.Of(f);
        Activation(g, "x", 2f / 127, DType.Int8, readers: ["fc1"]);
        Activation(g, "r", reluScale, DType.UInt8, readers: ["fc2"]);
        Weight(g, "fc1.W");
        Weight(g, "fc2.W");
        return g;
    }

    /// <summary>Inserts x → QuantizeLinear → DequantizeLinear → x_dq and points <paramref name="readers"/> at x_dq.</summary>
    public static void Activation(Graph.Graph g, string x, float scale, DType zeroType, string[] readers)
    {
        g.Initializers[x + "_scale"] = Tensor.FromArray(new[] { scale }, []);
        g.Initializers[x + "_zp"] = zeroType == DType.Int8 ? Tensor.FromArray(new sbyte[] { 0 }, []) : Tensor.FromArray(new byte[] { 0 }, []);
        g.Add("QuantizeLinear", [x, x + "_scale", x + "_zp"], [x + "_q"], x + "_QuantizeLinear");
        g.Add("DequantizeLinear", [x + "_q", x + "_scale", x + "_zp"], [x + "_dq"], x + "_DequantizeLinear");
        foreach (var n in g.Nodes.Where(n => readers.Contains(n.Name)))
            for (int i = 0; i < n.Inputs.Count; i++) if (n.Inputs[i] == x) n.Inputs[i] = x + "_dq";
    }

    /// <summary>Replaces float initializer <paramref name="w"/> by int8 codes round(w/s), s = max|w|/127, and a
    /// DequantizeLinear writing the original name (as LowBit and ONNX Runtime do).</summary>
    public static void Weight(Graph.Graph g, string w)
    {
        var shape = g.Initializers[w].Shape;
        var values = g.Initializers[w].ToFloatArray();
        float s = values.Max(Math.Abs) / 127;
        var codes = values.Select(v => (sbyte)Math.Clamp(Math.Round(v / s), -127, 127)).ToArray();
        g.Initializers.Remove(w);
        g.Initializers[w + "_quantized"] = Tensor.FromArray(codes, shape);
        g.Initializers[w + "_scale"] = Tensor.FromArray(new[] { s }, []);
        g.Initializers[w + "_zp"] = Tensor.FromArray(new sbyte[] { 0 }, []);
        g.Nodes.Insert(0, new Node("DequantizeLinear", [w + "_quantized", w + "_scale", w + "_zp"], [w], w + "_DequantizeLinear"));
    }

    /// <summary><paramref name="count"/> batches of <paramref name="batch"/> samples x uniform in [−2, 2).</summary>
    public static List<IReadOnlyDictionary<string, Tensor>> Batches(int count, int batch = 16, int seed = 3)
    {
        var rng = new Random(seed);
        var list = new List<IReadOnlyDictionary<string, Tensor>>();
        for (int b = 0; b < count; b++)
        {
            var data = new float[batch * 8];
            for (int i = 0; i < data.Length; i++) data[i] = (float)(4 * rng.NextDouble() - 2);
            list.Add(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(data, batch, 8) });
        }
        return list;
    }

    /// <summary>Largest value of <paramref name="name"/> over <paramref name="batches"/> in the float model.</summary>
    public static float MaxOf(Graph.Graph g, string name, IEnumerable<IReadOnlyDictionary<string, Tensor>> batches)
    {
        var s = new Session(g, new SessionOptions { Optimize = false, Threads = 1 });
        return batches.Max(b => s.Run(b, [name])[name].ToFloatArray().Max());
    }

    /// <summary>A labelled dataset of [8] samples whose labels are the float model's own predictions (so the float
    /// model scores 100 %).</summary>
    public sealed class SelfLabelled : Dataset
    {
        private readonly float[][] samples;
        private readonly int[] labels;

        public SelfLabelled(Graph.Graph model, int count, int seed = 9)
        {
            var rng = new Random(seed);
            samples = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 8).Select(_ => (float)(4 * rng.NextDouble() - 2)).ToArray()).ToArray();
            var s = new Session(model, new SessionOptions { Threads = 1 });
            labels = samples.Select(x =>
            {
                var y = s.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray((float[])x.Clone(), 1, 8) })["y"].ToFloatArray();
                return Array.IndexOf(y, y.Max());
            }).ToArray();
        }

        public override string Name => "self-labelled";
        public override int Count => samples.Length;
        public override int[] SampleShape => [8];
        public override IReadOnlyList<string> ClassNames => ["a", "b", "c", "d", "e", "f"];
        public override void ReadSample(int index, Span<float> destination) => samples[index].CopyTo(destination);
        public override int GetLabel(int index) => labels[index];
    }
}
