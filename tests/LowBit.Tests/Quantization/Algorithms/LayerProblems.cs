using LowBit.Formats;
using LowBit.Quantization;
using LowBit.Quantization.Algorithms;
using LowBit.Quantization.Algorithms.Layers;
using LowBit.Quantization.Qdq;
using LowBit.Tensors;

namespace LowBit.Tests.Quantization.Algorithms;

/// <summary>
/// Seeded single-layer problems for the layer-wise algorithms: a Gemm (transB = 1, W [rows, cols]) or a depthwise Conv
/// (W [groups, 1, 3, 3]), symmetric per-channel int grid (s = max|w|/qmax), inputs X_f = Z·A + 0.2·E with Z of rank 8
/// (correlated, so the choice of rounding direction matters) and X_q = X_f + 0.05·E' (a quantized predecessor's noise).
/// </summary>
internal static class LayerProblems
{
    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static LayerProblem Create(int rows, int cols, int bits, AlgorithmConfig config, int seed, int groups = 1, int n = 1024, bool bias = true)
    {
        var rng = new Random(seed);
        var g = new Graph.Graph { Opsets = new() { [""] = 17 } };
        int wRows = groups > 1 ? groups : rows, wCols = groups > 1 ? 9 : cols;
        var w = Enumerable.Range(0, wRows * wCols).Select(_ => (float)Gaussian(rng)).ToArray();
        Graph.Node node;
        if (groups > 1)
        {
            g.Initializers["w"] = Tensor.FromArray(w, groups, 1, 3, 3);
            node = g.Add("Conv", ["x", "w"], ["y"], "conv").With("group", (long)groups);
        }
        else
        {
            g.Initializers["w"] = Tensor.FromArray(w, rows, cols);
            node = g.Add("Gemm", ["x", "w"], ["y"], "gemm").With("transB", 1L);
        }
        if (bias)
        {
            g.Initializers["b"] = Tensor.FromArray(Enumerable.Range(0, wRows).Select(_ => (float)(0.1 * Gaussian(rng))).ToArray(), wRows);
            node.Inputs.Add("b");
        }
        var format = FormatTable.Get("int" + bits);
        int qmax = ((IntFormat)format).Qmax;
        var scales = Enumerable.Range(0, wRows).Select(r => Math.Max(1e-6f, Enumerable.Range(0, wCols).Max(k => Math.Abs(w[r * wCols + k])) / qmax)).ToArray();
        var gran = new PerChannel(0);
        var p = new QuantParams(format, gran, scales, new int[wRows], [wRows]);
        var mark = new WeightMark("w", new WeightQuantConfig(format, new WeightGranularity.PerChannel()), gran, node, 0, 1);
        var layer = LinearLayer.TryCreate(g, mark, p, out var reason) ?? throw new InvalidOperationException(reason);

        int gs = layer.Groups, c = layer.Cols;
        var fRows = new float[gs][];
        var qRows = new float[gs][];
        for (int gi = 0; gi < gs; gi++)
        {
            const int rank = 8;
            int r = Math.Min(rank, c);
            var a = Enumerable.Range(0, r * c).Select(_ => Gaussian(rng)).ToArray();
            var xf = fRows[gi] = new float[n * c];
            var xq = qRows[gi] = new float[n * c];
            for (int i = 0; i < n; i++)
            {
                var z = Enumerable.Range(0, r).Select(_ => Gaussian(rng)).ToArray();
                for (int k = 0; k < c; k++)
                {
                    double v = 0.2 * Gaussian(rng) + 0.5;
                    for (int t = 0; t < r; t++) v += z[t] * a[t * c + k];
                    xf[i * c + k] = (float)v;
                    xq[i * c + k] = (float)(v + 0.05 * Gaussian(rng));
                }
            }
        }
        var data = new LayerData
        {
            RowCount = n, FloatRows = fRows, QuantRows = qRows,
            FloatMean = fRows.Select(x => Mean(x, n, c)).ToArray(), QuantMean = qRows.Select(x => Mean(x, n, c)).ToArray(),
        };
        var b = bias ? QdqParams.Floats(g.Initializers["b"]).ToArray() : null;
        return new LayerProblem(layer, layer.Grid(), layer.ReadMatrix(g), b, data, config, new Random(seed), _ => { });
    }

    private static double[] Mean(float[] x, int n, int c)
    {
        var m = new double[c];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < c; k++) m[k] += x[i * c + k] / (double)n;
        return m;
    }

    /// <summary>‖X_q·W̃ᵀ + b̃ − (X_f·Wᵀ + b)‖² / ‖X_f·Wᵀ + b‖² over all rows (the bias included, for AdaQuant).</summary>
    public static double ErrorWithBias(LayerProblem p, float[] wq, float[]? bq)
    {
        var l = p.Layer;
        int rpg = l.RowsPerGroup, c = l.Cols, n = p.Data.RowCount;
        double num = 0, den = 0;
        for (int o = 0; o < l.Rows; o++)
        {
            var xf = p.Data.FloatRows[o / rpg];
            var xq = p.Data.QuantRows[o / rpg];
            double b = p.Bias?[o] ?? 0, bt = bq?[o] ?? b;
            for (int i = 0; i < n; i++)
            {
                double yf = b, yq = bt;
                for (int k = 0; k < c; k++) { yf += xf[i * c + k] * (double)p.Weights[o * c + k]; yq += xq[i * c + k] * (double)wq[o * c + k]; }
                num += (yq - yf) * (yq - yf); den += yf * yf;
            }
        }
        return num / den;
    }
}
