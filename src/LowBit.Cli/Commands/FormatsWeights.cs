using LowBit.Reports;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Cli.Commands;

/// <summary>Quantized weights of one model, pooled: how many, the bytes the file spends on them, and their SQNR.</summary>
internal sealed record WeightStats(int Tensors, long Weights, long StoredBytes, double SqnrDb)
{
    /// <summary>Stored bits per weight, scales, zero points, tables and unpack constants included: 8·bytes / weights.</summary>
    public double BitsPerWeight => Weights == 0 ? double.NaN : 8.0 * StoredBytes / Weights;
}

/// <summary>
/// Weight error and storage of a quantized model against the float model it came from. The weights are the ones
/// <see cref="LayerMatching"/> pairs (a DequantizeLinear of stored or bit-packed codes, or a lookup Gather·scale, that
/// replaces a float initializer read as a Conv/Gemm/MatMul weight); the dequantized value ŵ is read from one LowBit run
/// of the quantized graph (a value hook, as <see cref="LayerComparison"/> does), so packing and lookup tables are decoded
/// by the same ops ONNX Runtime runs. Pooled SQNR = 10·log10(Σw² / Σ(w − ŵ)²) over every matched weight (+∞ when exact).
/// Stored bytes, in the saved graph: every initializer in the constant cone of a matched weight or of a MatMulNBits
/// node's weight inputs, each counted once (a table or unpack constant shared by several weights is in the file once).
/// </summary>
internal static class FormatsWeights
{
    /// <param name="prepared">The float graph as the quantizer prepared it (BatchNormalization folded), so the weights
    /// compared are the ones that were quantized.</param>
    /// <param name="quantized">The quantized graph with every weight behind a DequantizeLinear (or lookup), whose ŵ is read.</param>
    /// <param name="file">The graph as saved (the same codes, possibly in MatMulNBits nodes), whose bytes are counted.</param>
    /// <param name="inputs">One model call's inputs (any values: weights do not depend on them).</param>
    public static WeightStats Measure(Graph.Graph prepared, Graph.Graph quantized, Graph.Graph file, IReadOnlyDictionary<string, Tensor> inputs, int threads)
    {
        var points = Weights(prepared, quantized);
        double signal = 0, noise = 0;
        long weights = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var session = new Session(quantized, new SessionOptions { Threads = threads, Optimize = false });
        session.AddHook((name, _, value) =>
        {
            if (!points.TryGetValue(name, out var w) || value.DType != DType.Float32 || value.Length != w.Length || !seen.Add(name)) return null;
            var x = w.AsReadOnlySpan<float>();
            var y = value.AsReadOnlySpan<float>();
            for (int i = 0; i < x.Length; i++)
            {
                double d = (double)x[i] - y[i];
                signal += (double)x[i] * x[i];
                noise += d * d;
            }
            weights += x.Length;
            return null;
        });
        session.Run(inputs);
        double sqnr = noise == 0 ? double.PositiveInfinity : signal == 0 ? double.NegativeInfinity : 10 * Math.Log10(signal / noise);
        // MatMulNBits inputs 1..4: packed codes, scales, zero points, group index (5 is the float bias).
        var stored = Weights(prepared, file).Keys.Concat(file.Nodes.Where(n => n.OpType == "MatMulNBits").SelectMany(n => n.Inputs.Skip(1).Take(4)));
        return new WeightStats(seen.Count, weights, ConeBytes(file, stored), sqnr);
    }

    /// <summary>Matched weights of <paramref name="quantized"/>: dequantized value name → float weight.</summary>
    private static Dictionary<string, Tensor> Weights(Graph.Graph prepared, Graph.Graph quantized) =>
        LayerMatching.Match(prepared, quantized).Points
            .Where(p => p.Kind == PointKind.Weight && p.RefConstant is { DType: DType.Float32 })
            .GroupBy(p => p.PostName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().RefConstant!, StringComparer.Ordinal);

    /// <summary>Bytes of the distinct initializers that <paramref name="values"/> are computed from (⌈n·bits/8⌉ each).</summary>
    private static long ConeBytes(Graph.Graph g, IEnumerable<string> values)
    {
        var producers = g.Producers();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(values);
        long bytes = 0;
        while (stack.Count > 0)
        {
            string v = stack.Pop();
            if (v.Length == 0 || !visited.Add(v)) continue;
            if (g.Initializers.TryGetValue(v, out var t)) bytes += (t.Length * (long)t.DType.BitsPerElement() + 7) / 8;
            else if (producers.TryGetValue(v, out var node))
                foreach (var i in node.Inputs) stack.Push(i);
        }
        return bytes;
    }
}
