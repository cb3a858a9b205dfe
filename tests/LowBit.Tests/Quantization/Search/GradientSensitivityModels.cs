using LowBit.Nn;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization.Search;

/// <summary>
/// A linear softmax classifier logits = x·Wᵀ + b (one Gemm, W [C, D]) on Gaussian classes with a shared covariance,
/// for which softmax regression is the well-specified model, trained to its optimum in double by full-batch gradient
/// descent so the gradient term of the loss expansion vanishes. Classes overlap (centers 0.5·N(0, I), noise N(0, I)) and
/// S = 512 ≫ C·D = 80, so the data are not separable (the optimum is finite) and probabilities stay moderate: no p ≈ 1
/// rows whose 1 − p float32 cannot resolve.
/// The oracle is direct double-precision computation: p = softmax(Wx + b), ∂ℓ/∂W_cj = (p_c − y_c)·x_j,
/// H = (1/S) Σ_s (diag(p) − ppᵀ) ⊗ x xᵀ.
/// </summary>
internal sealed class LinearClassifier
{
    public const string Weight = "fc.weight", Bias = "fc.bias";
    public int D { get; }
    public int C { get; }
    public int S => Y.Length;
    public float[][] X { get; }
    public long[] Y { get; }
    public float[] W { get; }
    public float[] B { get; }

    public LinearClassifier(int d = 16, int c = 5, int samples = 512, int seed = 3, int trainSteps = 1500)
    {
        D = d;
        C = c;
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var centers = Enumerable.Range(0, c).Select(_ => Enumerable.Range(0, d).Select(_ => 0.5 * Normal()).ToArray()).ToArray();
        Y = Enumerable.Range(0, samples).Select(s => (long)(s % c)).ToArray();
        X = Y.Select(y => centers[y].Select(m => (float)(m + Normal())).ToArray()).ToArray();
        var (w, b) = (new double[c * d], new double[c]);
        for (int t = 0; t < trainSteps; t++)
        {
            var (gw, gb) = Gradient(w, b);
            for (int i = 0; i < w.Length; i++) w[i] -= gw[i];
            for (int i = 0; i < b.Length; i++) b[i] -= gb[i];
        }
        W = w.Select(v => (float)v).ToArray();
        B = b.Select(v => (float)v).ToArray();
    }

    public Graph.Graph Graph()
    {
        var g = new GraphBuilder("linear", 0);
        string x = g.Input("x", DType.Float32, D);
        g.Output(g.Linear(x, D, C, "fc"), "logits", DType.Float32, C);
        g.Graph.Initializers[Weight] = Tensor.FromArray((float[])W.Clone(), C, D);
        g.Graph.Initializers[Bias] = Tensor.FromArray((float[])B.Clone(), C);
        return g.Graph;
    }

    /// <summary>Batches of <paramref name="batch"/> rows: "x" [n, D] and, unless <paramref name="targets"/> is null, "y"
    /// [n] from <paramref name="targets"/>.</summary>
    public List<IReadOnlyDictionary<string, Tensor>> Batches(int batch = 16, long[]? targets = null)
    {
        var list = new List<IReadOnlyDictionary<string, Tensor>>();
        for (int s0 = 0; s0 < S; s0 += batch)
        {
            int n = Math.Min(batch, S - s0);
            var d = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(X.Skip(s0).Take(n).SelectMany(r => r).ToArray(), n, D) };
            if (targets is not null) d["y"] = Tensor.FromArray(targets.Skip(s0).Take(n).ToArray(), n);
            list.Add(d);
        }
        return list;
    }

    public double[] Probs(int s, IReadOnlyList<double> w, IReadOnlyList<double> b)
    {
        var p = new double[C];
        double m = double.NegativeInfinity, sum = 0;
        for (int c = 0; c < C; c++)
        {
            double acc = b[c];
            for (int j = 0; j < D; j++) acc += w[c * D + j] * X[s][j];
            p[c] = acc;
            m = Math.Max(m, acc);
        }
        for (int c = 0; c < C; c++) sum += p[c] = Math.Exp(p[c] - m);
        for (int c = 0; c < C; c++) p[c] /= sum;
        return p;
    }

    public double[] Probs(int s) => Probs(s, W.Select(v => (double)v).ToArray(), B.Select(v => (double)v).ToArray());

    /// <summary>Mean cross-entropy (1/S) Σ −log p_y at weights W + δ (rounded to float32 like the model's).</summary>
    public double Loss(float[] deltaW)
    {
        var w = W.Select((v, i) => (double)(v + deltaW[i])).ToArray();
        var b = B.Select(v => (double)v).ToArray();
        return Enumerable.Range(0, S).Average(s => -Math.Log(Probs(s, w, b)[Y[s]]));
    }

    public (double[] W, double[] B) Gradient(IReadOnlyList<double> w, IReadOnlyList<double> b)
    {
        var (gw, gb) = (new double[C * D], new double[C]);
        for (int s = 0; s < S; s++)
        {
            var p = Probs(s, w, b);
            for (int c = 0; c < C; c++)
            {
                double e = (p[c] - (Y[s] == c ? 1 : 0)) / S;
                gb[c] += e;
                for (int j = 0; j < D; j++) gw[c * D + j] += e * X[s][j];
            }
        }
        return (gw, gb);
    }

    /// <summary>The Hessian block H_WW = (1/S) Σ_s A_s ⊗ x_s x_sᵀ, A = diag(p) − ppᵀ, index (c, j) → c·D + j.</summary>
    public double[,] HessianWW()
    {
        int n = C * D;
        var h = new double[n, n];
        for (int s = 0; s < S; s++)
        {
            var p = Probs(s);
            for (int c = 0; c < C; c++)
                for (int e = 0; e < C; e++)
                {
                    double a = ((c == e ? p[c] : 0) - p[c] * p[e]) / S;
                    for (int i = 0; i < D; i++)
                        for (int j = 0; j < D; j++) h[c * D + i, e * D + j] += a * X[s][i] * X[s][j];
                }
        }
        return h;
    }
}

/// <summary>Small helpers for the gradient-sensitivity tests.</summary>
internal static class GradientTestData
{
    public static List<string> ConvWeights(Graph.Graph g) =>
        g.Nodes.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul" && g.Initializers.ContainsKey(n.Inputs[1])).Select(n => n.Inputs[1]).ToList();

    public static long[] Argmax(Tensor logits)
    {
        var z = logits.ToFloatArray();
        int c = logits.Shape[1];
        var y = new long[logits.Shape[0]];
        for (int r = 0; r < y.Length; r++)
            for (int j = 1; j < c; j++) if (z[r * c + j] > z[r * c + y[r]]) y[r] = j;
        return y;
    }

    public sealed class Inline(Action<(long, long)> report) : IProgress<(long Done, long Total)>
    {
        public void Report((long Done, long Total) value) => report(value);
    }
}
