using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Search;

/// <summary>
/// Multiply-accumulates per sample of each Conv/ConvTranspose/Gemm/MatMul with an initializer weight, from one float run:
/// MACs = output elements per sample × (weight elements / output channels), the output channels being the weight's
/// first dim for Conv (each output element reads Cin/groups·kh·kw weights) and the output's last dim for Gemm/MatMul
/// (each reads K). ConvTranspose: input elements per sample × (weight elements / Cin).
/// </summary>
internal static class NodeMacs
{
    public static Dictionary<string, long> Of(Graph.Graph prepared, IReadOnlyDictionary<string, Tensor> oneBatch, int threads)
    {
        var nodes = prepared.Nodes.Where(n => n.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" && n.Inputs.Count > 1
            && prepared.Initializers.ContainsKey(n.Inputs[1])).ToList();
        var wanted = nodes.SelectMany(n => new[] { n.Outputs[0], n.Inputs[0] }).ToHashSet(StringComparer.Ordinal);
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var (k, v) in oneBatch) shapes[k] = v.Shape;
        var session = new Session(prepared, new SessionOptions { Threads = threads, Optimize = false });
        session.AddHook((name, _, value) =>
        {
            if (wanted.Contains(name)) shapes[name] = value.Shape;
            return null;
        });
        session.Run(oneBatch);
        var macs = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            var w = prepared.Initializers[n.Inputs[1]];
            if (!shapes.TryGetValue(n.Outputs[0], out var y) || y.Length == 0 || w.Rank == 0) continue;
            long PerSample(int[] s) => s.Length > 1 ? s.Skip(1).Aggregate(1L, (a, d) => a * d) : s.Aggregate(1L, (a, d) => a * d);
            long m = n.OpType switch
            {
                "Conv" => PerSample(y) * (w.Length / w.Shape[0]),
                "ConvTranspose" when shapes.TryGetValue(n.Inputs[0], out var x) => PerSample(x) * (w.Length / w.Shape[0]),
                "Gemm" or "MatMul" => PerSample(y) * (w.Length / Math.Max(1, y[^1])),
                _ => 0,
            };
            macs[n.DisplayName] = m;
        }
        return macs;
    }
}
