using LowBit.Graph;
using LowBit.Nn;
using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization;

/// <summary>Small seeded models and data for quantizer tests, and helpers to count ops and compare LowBit with ONNX Runtime.</summary>
public static class QuantTestModels
{
    /// <summary>Conv-BN-Relu, MaxPool, Conv-Relu, Conv + residual Add + Relu, Concat, GlobalAveragePool, Flatten, Gemm.
    /// Input [N, 3, 12, 12], output [N, 10].</summary>
    public static Graph.Graph ConvNet(int seed = 1)
    {
        var b = new GraphBuilder("convnet", seed);
        string x = b.Input("x", DType.Float32, 3, 12, 12);
        string h = b.Relu(b.BatchNorm(b.Conv(x, 3, 8, 3, name: "conv1"), 8, "bn1"), "relu1");
        string p = b.MaxPool(h, 2, 2, name: "pool");
        string c2 = b.Relu(b.Conv(p, 8, 8, 3, name: "conv2"), "relu2");
        string c3 = b.Conv(c2, 8, 8, 3, name: "conv3");
        string r = b.Relu(b.Add(c3, p, "residual"), "relu3");
        string cat = b.Concat(1, [r, p], "concat");
        string g = b.Flatten(b.GlobalAveragePool(cat, "gap"), 1, "flatten");
        b.Output(b.Linear(g, 16, 10, "fc"), "logits", DType.Float32, 10);
        return b.Graph;
    }

    /// <summary>Gemm-Relu-Gemm-Relu-Gemm, input [N, 32], output [N, 10].</summary>
    public static Graph.Graph Mlp(int seed = 2)
    {
        var b = new GraphBuilder("mlp", seed);
        string x = b.Input("x", DType.Float32, 32);
        string h = b.Relu(b.Linear(x, 32, 64, "fc1"), "relu1");
        h = b.Relu(b.Linear(h, 64, 64, "fc2"), "relu2");
        b.Output(b.Linear(h, 64, 10, "fc3"), "logits", DType.Float32, 10);
        return b.Graph;
    }

    /// <summary>One pre-norm transformer block on [N, T = 8, D = 32]: LayerNorm, q/k/v MatMul+Add, two heads
    /// (Reshape/Transpose), scores MatMul, Mul by 1/√d, Softmax, MatMul, out projection, residual Add, LayerNorm,
    /// MLP with Gelu, residual Add.</summary>
    public static Graph.Graph TransformerBlock(int seed = 3, int t = 8, int d = 32, int heads = 2)
    {
        var b = new GraphBuilder("block", seed);
        string x = b.Input("x", DType.Float32, t, d);
        int hd = d / heads;
        string ln = b.LayerNorm(x, d, "ln1");
        string Heads(string v, string name) => b.Transpose(b.Reshape(v, [0, t, heads, hd], name + ".split"), [0, 2, 1, 3], name + ".heads");
        string q = Heads(b.Dense(ln, d, d, "q", std: 0.2), "q");
        string k = Heads(b.Dense(ln, d, d, "k", std: 0.2), "k");
        string v = Heads(b.Dense(ln, d, d, "v", std: 0.2), "v");
        string scores = b.Mul(b.MatMul(q, b.Transpose(k, [0, 1, 3, 2], "kT"), "scores"), b.Scalar(1f / MathF.Sqrt(hd)), "scale");
        string attn = b.MatMul(b.Softmax(scores, -1, "softmax"), v, "attn");
        string merged = b.Reshape(b.Transpose(attn, [0, 2, 1, 3], "merge"), [0, t, d], "merge.reshape");
        string h = b.Add(x, b.Dense(merged, d, d, "proj", std: 0.2), "res1");
        string m = b.Dense(b.Gelu(b.Dense(b.LayerNorm(h, d, "ln2"), d, 2 * d, "fc1", std: 0.2), "gelu"), 2 * d, d, "fc2", std: 0.2);
        b.Output(b.Add(h, m, "res2"), "y", DType.Float32, t, d);
        return b.Graph;
    }

    /// <summary><paramref name="count"/> samples of batch <paramref name="batch"/> for every real input, values
    /// uniform in [lo, hi) (seeded).</summary>
    public static List<IReadOnlyDictionary<string, Tensor>> RandomData(Graph.Graph g, int count, int batch = 2, int seed = 7, float lo = -1, float hi = 1)
    {
        var rng = new Random(seed);
        var list = new List<IReadOnlyDictionary<string, Tensor>>();
        for (int i = 0; i < count; i++)
        {
            var d = new Dictionary<string, Tensor>();
            foreach (var input in g.RealInputs)
            {
                var shape = input.Shape!.Select((dim, j) => (int)(dim.Value ?? (j == 0 ? batch : 1))).ToArray();
                var t = Tensor.Zeros(DType.Float32, shape);
                var s = t.AsSpan<float>();
                for (int k = 0; k < s.Length; k++) s[k] = lo + (hi - lo) * (float)rng.NextDouble();
                d[input.Name] = t;
            }
            list.Add(d);
        }
        return list;
    }

    public static int Count(Graph.Graph g, string op, string domain = "") => g.Nodes.Count(n => n.OpType == op && n.Domain == domain);

    /// <summary>Initializer bytes by element type summed.</summary>
    public static long Bytes(Graph.Graph g) => g.ParameterStats().BytesByType.Values.Sum();

    public static Tensor RunLowBit(Graph.Graph g, IReadOnlyDictionary<string, Tensor> inputs) =>
        new Session(g, new SessionOptions { Threads = 1 }).Run(inputs).Values.First();

    public static Tensor RunOrt(Graph.Graph g, IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var ort = OrtRunner.FromGraph(g, threads: 1);
        return ort.Run(inputs).Values.First();
    }

    /// <summary>Σ‖y_q − y_f‖² / Σ‖y_f‖² of the first output over the samples (LowBit runs both).</summary>
    public static double SquaredErrorRatio(Graph.Graph f, Graph.Graph q, IEnumerable<IReadOnlyDictionary<string, Tensor>> data)
    {
        double num = 0, den = 0;
        foreach (var x in data)
        {
            var a = RunLowBit(f, x).AsReadOnlySpan<float>().ToArray();
            var b = RunLowBit(q, x).AsReadOnlySpan<float>().ToArray();
            for (int i = 0; i < a.Length; i++) { num += (b[i] - a[i]) * (double)(b[i] - a[i]); den += a[i] * (double)a[i]; }
        }
        return num / den;
    }

    public static float MaxAbsDiff(Tensor a, Tensor b)
    {
        var x = a.AsReadOnlySpan<float>();
        var y = b.AsReadOnlySpan<float>();
        Assert.Equal(x.Length, y.Length);
        float m = 0;
        for (int i = 0; i < x.Length; i++) m = Math.Max(m, Math.Abs(x[i] - y[i]));
        return m;
    }

    public static float MaxAbs(Tensor a)
    {
        float m = 0;
        foreach (var v in a.AsReadOnlySpan<float>()) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    /// <summary>Fraction of rows (last axis = classes) whose argmax agrees.</summary>
    public static double Top1Agreement(Tensor a, Tensor b)
    {
        int classes = a.Shape[^1], rows = a.Length / classes, same = 0;
        var x = a.AsReadOnlySpan<float>();
        var y = b.AsReadOnlySpan<float>();
        for (int r = 0; r < rows; r++)
        {
            int ia = 0, ib = 0;
            for (int c = 1; c < classes; c++)
            {
                if (x[r * classes + c] > x[r * classes + ia]) ia = c;
                if (y[r * classes + c] > y[r * classes + ib]) ib = c;
            }
            if (ia == ib) same++;
        }
        return (double)same / rows;
    }
}

/// <summary>Graph lookups for structure tests.</summary>
public static class GraphQuery
{
    public static Graph.Node Producer(Graph.Graph g, string value) => g.Nodes.Single(n => n.Outputs.Contains(value));

    public static List<Graph.Node> Readers(Graph.Graph g, string value) => g.Nodes.Where(n => n.Inputs.Contains(value)).ToList();

    public static Graph.Node Node(Graph.Graph g, string name) => g.Nodes.Single(n => n.Name == name);

    /// <summary>The DequantizeLinear producing input <paramref name="index"/> of node <paramref name="name"/>.</summary>
    public static Graph.Node InputDq(Graph.Graph g, string name, int index)
    {
        var dq = Producer(g, Node(g, name).Inputs[index]);
        Assert.Equal("DequantizeLinear", dq.OpType);
        return dq;
    }

    /// <summary>The QuantizeLinear reading <paramref name="value"/>.</summary>
    public static Graph.Node QuantizerOf(Graph.Graph g, string value) => Readers(g, value).Single(n => n.OpType == "QuantizeLinear");
}
