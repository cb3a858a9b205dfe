using LowBit.Graph;
using LowBit.Quantization.Prepare;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Calibration;

/// <summary>One BatchNormalization input whose batch statistics ZeroQ matches: per-channel running mean μ and σ = √(running var).</summary>
internal sealed record BnTarget(string Value, string Node, float[] Mean, float[] Std);

/// <summary>
/// The graph ZeroQ differentiates: a copy of the model cut after the last BatchNormalization input, with every
/// BatchNormalization replaced by its inference form y = a·x + b, a = γ/√(σ² + ε), b = β − μ·a (a, b of shape
/// [C, 1, …] broadcasting over axis 1), so a taped forward uses the running statistics and can never update them;
/// Dropout becomes Identity. The caller's graph and tensors are not modified (new nodes, new tensors).
/// </summary>
internal static class ZeroQGraph
{
    public static (Graph.Graph Graph, BnTarget[] Targets) Build(Graph.Graph model, string modelName, string input, Tensor probe)
    {
        var bns = model.Nodes.Where(n => n.OpType == "BatchNormalization" && n.Domain.Length == 0).ToList();
        if (bns.Count == 0)
            throw new LowBitException(ErrorKind.Usage, $"zeroq needs BatchNormalization layers; model {modelName} has none (use real calibration data)");
        var g = GraphCopy.Of(model);
        var xs = bns.Select(n => n.Inputs[0]).Distinct().ToList();

        // One inference forward gives each BN input's rank (the shape of a, b) and checks the model runs on the probe.
        var ranks = new TrainingSession(g).Forward(new Dictionary<string, Tensor> { [input] = probe }, training: false, outputNames: xs)
            .Where(kv => xs.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value.Rank);

        var targets = new List<BnTarget>();
        foreach (var node in g.Nodes.ToList())
        {
            if (node.OpType == "Dropout" && node.Domain.Length == 0)
            {
                g.Nodes[g.Nodes.IndexOf(node)] = new Node("Identity", [node.Inputs[0]], [node.Outputs[0]], node.Name + "/zeroq");
                continue;
            }
            if (node.OpType != "BatchNormalization" || node.Domain.Length != 0) continue;
            var p = node.Inputs.Skip(1).Take(4).Select(name => Param(g, node, name)).ToArray();
            int c = p[0].Length;
            if (p.Any(t => t.Length != c) || ranks[node.Inputs[0]] < 2)
                throw new LowBitException(ErrorKind.Usage, $"zeroq: {node.DisplayName} has per-feature (spatial=0) statistics; zeroq matches per-channel statistics");
            double eps = node.Attributes.TryGetValue("epsilon", out var e) ? Convert.ToDouble(e.Value) : 1e-5;
            var (gamma, beta, mu, v) = (p[0].ToFloatArray(), p[1].ToFloatArray(), p[2].ToFloatArray(), p[3].ToFloatArray());
            var a = new float[c];
            var b = new float[c];
            var std = new float[c];
            for (int i = 0; i < c; i++)
            {
                double s = gamma[i] / Math.Sqrt(v[i] + eps);
                a[i] = (float)s;
                b[i] = (float)(beta[i] - mu[i] * s);
                std[i] = (float)Math.Sqrt(Math.Max(v[i], 0));
            }
            int[] shape = [c, .. Enumerable.Repeat(1, ranks[node.Inputs[0]] - 2)];
            string aName = g.UniqueName(node.DisplayName + "/zeroq_a"), bName = g.UniqueName(node.DisplayName + "/zeroq_b");
            string scaled = g.UniqueName(node.DisplayName + "/zeroq_ax");
            g.Initializers[aName] = Tensor.FromArray(a, shape);
            g.Initializers[bName] = Tensor.FromArray(b, shape);
            int at = g.Nodes.IndexOf(node);
            g.Nodes[at] = new Node("Mul", [node.Inputs[0], aName], [scaled], node.Name + "/zeroq_mul");
            g.Nodes.Insert(at + 1, new Node("Add", [scaled, bName], [node.Outputs[0]], node.Name + "/zeroq_add"));
            if (!targets.Any(t => t.Value == node.Inputs[0])) targets.Add(new BnTarget(node.Inputs[0], node.DisplayName, mu, std));
        }
        Prune(g, targets.Select(t => t.Value).ToHashSet(StringComparer.Ordinal));
        return (g, targets.ToArray());
    }

    private static Tensor Param(Graph.Graph g, Node node, string name) =>
        g.Initializers.TryGetValue(name, out var t) ? t
        : throw new LowBitException(ErrorKind.Usage, $"zeroq: {node.DisplayName} takes '{name}' from another node; zeroq needs constant BatchNormalization parameters");

    /// <summary>Keeps only the nodes the BN inputs depend on; those inputs become the graph outputs.</summary>
    private static void Prune(Graph.Graph g, HashSet<string> keep)
    {
        var needed = new HashSet<string>(keep, StringComparer.Ordinal);
        var producers = g.Producers();
        var stack = new Stack<string>(keep);
        var visited = new HashSet<Node>();
        while (stack.Count > 0)
        {
            if (!producers.TryGetValue(stack.Pop(), out var n) || !visited.Add(n)) continue;
            foreach (var i in n.AllInputNames()) if (i.Length > 0 && needed.Add(i)) stack.Push(i);
        }
        g.Nodes.RemoveAll(n => !visited.Contains(n));
        g.Outputs.Clear();
        g.Outputs.AddRange(keep.Select(v => new ValueInfo(v, DType.Float32, null)));
    }
}
