using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// Cross-layer equalization (Nagel, van Baalen, Blankevoort, Welling: "Data-Free Quantization Through Weight
/// Equalization and Bias Correction", ICCV 2019, §4.1). For consecutive layers y = f(W₁x + b₁), z = W₂y with f positive
/// homogeneous (ReLU, or none), f(x/s) = f(x)/s for s > 0, so output channel i of layer 1 may be divided by sᵢ and input
/// channel i of layer 2 multiplied by sᵢ without changing z. With rᵢ¹ = max|W₁[i,…]| and rᵢ² = max|W₂[:,i,…]|,
/// sᵢ = √(rᵢ¹/rᵢ²) makes both ranges √(rᵢ¹rᵢ²): every channel then uses the same share of a per-tensor grid.
/// Pairs: Conv (groups 1 or depthwise) or Gemm, optionally through one Relu, into Conv/Gemm, each intermediate value
/// read once and not a graph output, weights float32 initializers read by that node only. Chains (a layer in two pairs)
/// are swept until no scale moves by more than 0.1 % (at most <see cref="MaxSweeps"/>).
/// </summary>
internal static class CrossLayerEqualization
{
    public const int MaxSweeps = 20;

    /// <summary>Equalizes every pair in <paramref name="g"/> (BatchNorm already folded); returns how many pairs.</summary>
    public static int Apply(Graph.Graph g)
    {
        var pairs = FindPairs(g);
        // The prepared graph shares its tensors with the caller's model (GraphCopy): scale private copies.
        foreach (var name in pairs.SelectMany(p => new[] { p.A.Weight, p.A.Bias, p.B.Weight }).OfType<string>().Distinct())
            g.Initializers[name] = g.Initializers[name].Clone();
        for (int sweep = 0; sweep < MaxSweeps && pairs.Count > 0; sweep++)
        {
            double moved = 0;
            foreach (var (a, b) in pairs) moved = Math.Max(moved, Equalize(g, a, b));
            if (moved < 1e-3) break;
        }
        return pairs.Count;
    }

    private static List<(Layer A, Layer B)> FindPairs(Graph.Graph g)
    {
        var consumers = g.Consumers();
        var outputs = g.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        Node? Only(string value) =>
            !outputs.Contains(value) && consumers.TryGetValue(value, out var c) && c.Count == 1 ? c[0] : null;
        var pairs = new List<(Layer, Layer)>();
        foreach (var n in g.Nodes)
        {
            if (Layer.Of(g, n, consumers) is not { } a) continue;
            string feed = n.Outputs[0];
            var next = Only(feed);
            if (next is { OpType: "Relu" }) next = Only(feed = next.Outputs[0]);
            if (next is null || next.Inputs[0] != feed) continue;
            if (Layer.Of(g, next, consumers) is { } b && a.OutChannels == b.InChannels) pairs.Add((a, b));
        }
        return pairs;
    }

    /// <summary>One equalization step of a pair; returns the largest |log sᵢ| applied.</summary>
    private static double Equalize(Graph.Graph g, Layer a, Layer b)
    {
        var w1 = g.Initializers[a.Weight].AsSpan<float>();
        var w2 = g.Initializers[b.Weight].AsSpan<float>();
        double moved = 0;
        for (int i = 0; i < a.OutChannels; i++)
        {
            double r1 = a.MaxAbs(w1, i, output: true), r2 = b.MaxAbs(w2, i, output: false);
            if (r1 <= 0 || r2 <= 0) continue;
            double s = Math.Sqrt(r1 / r2);
            a.Scale(w1, i, output: true, (float)(1 / s));
            b.Scale(w2, i, output: false, (float)s);
            if (a.Bias is not null) g.Initializers[a.Bias].AsSpan<float>()[i] /= (float)s;
            moved = Math.Max(moved, Math.Abs(Math.Log(s)));
        }
        return moved;
    }

    /// <summary>
    /// A Conv or Gemm whose weight can be scaled per channel. Element (o, i, k) of the weight sits at
    /// o·OutStride + i·InStride + k (k over the kernel window); depthwise Conv has one input channel per output channel,
    /// so its input channel i is its output channel i.
    /// </summary>
    private sealed record Layer(string Weight, string? Bias, int OutChannels, int InChannels, int OutStride, int InStride, int Window, bool Depthwise)
    {
        public static Layer? Of(Graph.Graph g, Node n, Dictionary<string, List<Node>> consumers)
        {
            if (n.Domain != "" || n.Inputs.Count < 2 || !g.Initializers.TryGetValue(n.Inputs[1], out var w) || w.DType != DType.Float32) return null;
            if (consumers[n.Inputs[1]].Count != 1) return null;
            string? bias = n.Inputs.Count > 2 && n.Inputs[2].Length > 0 ? n.Inputs[2] : null;
            if (bias is not null && (!g.Initializers.TryGetValue(bias, out var bt) || bt.DType != DType.Float32 || consumers[bias].Count != 1)) return null;
            if (n.OpType == "Conv" && w.Rank >= 3)
            {
                long group = n.Get<long?>("group") ?? 1;
                int o = w.Shape[0], i = w.Shape[1], window = (int)(w.Length / ((long)o * i));
                if (bias is not null && g.Initializers[bias].Length != o) return null;
                if (group == 1) return new Layer(n.Inputs[1], bias, o, i, i * window, window, window, false);
                if (group == o && i == 1) return new Layer(n.Inputs[1], bias, o, o, window, 0, window, true);
                return null;
            }
            if (n.OpType == "Gemm" && w.Rank == 2 && (n.Get<long?>("transA") ?? 0) == 0)
            {
                bool transB = (n.Get<long?>("transB") ?? 0) != 0;
                int o = transB ? w.Shape[0] : w.Shape[1], i = transB ? w.Shape[1] : w.Shape[0];
                if (bias is not null && g.Initializers[bias].Length != o) return null;
                return transB ? new Layer(n.Inputs[1], bias, o, i, i, 1, 1, false) : new Layer(n.Inputs[1], bias, o, i, 1, o, 1, false);
            }
            return null;
        }

        public double MaxAbs(Span<float> w, int channel, bool output)
        {
            double m = 0;
            foreach (int at in Slice(channel, output)) m = Math.Max(m, Math.Abs(w[at]));
            return m;
        }

        public void Scale(Span<float> w, int channel, bool output, float factor)
        {
            foreach (int at in Slice(channel, output)) w[at] *= factor;
        }

        /// <summary>Flat indices of output channel <paramref name="channel"/> (all inputs, whole window) or of input channel
        /// <paramref name="channel"/> (all outputs).</summary>
        private IEnumerable<int> Slice(int channel, bool output)
        {
            if (Depthwise || output)
            {
                for (int i = 0; i < (Depthwise ? 1 : InChannels); i++)
                    for (int k = 0; k < Window; k++) yield return channel * OutStride + i * InStride + k;
            }
            else
            {
                for (int o = 0; o < OutChannels; o++)
                    for (int k = 0; k < Window; k++) yield return o * OutStride + channel * InStride + k;
            }
        }
    }
}
