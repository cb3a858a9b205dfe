using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// A MatMul or Gemm (transA = 0, alpha = beta = 1) reading activation X (input 0, last axis = K channels) with a float32
/// 2-D initializer weight read by this node only. The logical weight is K×N (y = x·W); element (j, n) sits at j·N + n
/// (MatMul, Gemm transB = 0) or n·K + j (Gemm transB = 1, stored N×K).
/// </summary>
internal sealed record LinearUse(Node Node, string Weight, bool TransB, int K, int N)
{
    public static LinearUse? Of(Graph.Graph g, Node n, Dictionary<string, List<Node>> consumers)
    {
        if (n.Domain != "" || n.Inputs.Count < 2 || n.OpType is not ("MatMul" or "Gemm")) return null;
        if (g.Initializers.ContainsKey(n.Inputs[0]) || !g.Initializers.TryGetValue(n.Inputs[1], out var w)) return null;
        if (w.DType != DType.Float32 || w.Rank != 2 || consumers[n.Inputs[1]].Count != 1 || n.Inputs.Count(i => i == n.Inputs[1]) != 1) return null;
        bool transB = false;
        if (n.OpType == "Gemm")
        {
            if ((n.Get<long?>("transA") ?? 0) != 0 || (n.Get<float?>("alpha") ?? 1f) != 1f || (n.Get<float?>("beta") ?? 1f) != 1f) return null;
            transB = (n.Get<long?>("transB") ?? 0) != 0;
        }
        return transB ? new LinearUse(n, n.Inputs[1], true, w.Shape[1], w.Shape[0]) : new LinearUse(n, n.Inputs[1], false, w.Shape[0], w.Shape[1]);
    }

    public int At(int j, int n) => TransB ? n * K + j : j * N + n;

    /// <summary>max over n of |W[j, n]| for every input channel j.</summary>
    public double[] InputMaxAbs(Graph.Graph g)
    {
        var w = InputTransform.Writable(g, Weight);
        var m = new double[K];
        for (int j = 0; j < K; j++)
            for (int n = 0; n < N; n++) m[j] = Math.Max(m[j], Math.Abs(w[At(j, n)]));
        return m;
    }

    /// <summary>W[j, :] ← s_j·W[j, :] (the input-channel side of x·W = (x/s)·(diag(s)·W)).</summary>
    public void ScaleInputs(Graph.Graph g, double[] s)
    {
        var w = InputTransform.Writable(g, Weight);
        for (int j = 0; j < K; j++)
            for (int n = 0; n < N; n++) w[At(j, n)] = (float)(w[At(j, n)] * s[j]);
    }

    /// <summary>W[:, n] ← W[:, n]·f_n (output channel side).</summary>
    public void ScaleOutputs(Graph.Graph g, double[] f)
    {
        var w = InputTransform.Writable(g, Weight);
        for (int j = 0; j < K; j++)
            for (int n = 0; n < N; n++) w[At(j, n)] = (float)(w[At(j, n)] * f[n]);
    }

    /// <summary>W ← L·W with L a K×K matrix (row-major); rotation uses L = Qᵀ.</summary>
    public void MultiplyLeft(Graph.Graph g, double[] l)
    {
        var w = InputTransform.Writable(g, Weight);
        var col = new double[K];
        for (int n = 0; n < N; n++)
        {
            for (int j = 0; j < K; j++) col[j] = w[At(j, n)];
            for (int i = 0; i < K; i++)
            {
                double acc = 0;
                for (int j = 0; j < K; j++) acc += l[i * K + j] * col[j];
                w[At(i, n)] = (float)acc;
            }
        }
    }

    /// <summary>W ← W·R with R an N×N matrix (row-major): the output side of a rotation folded into this producer.</summary>
    public void MultiplyRight(Graph.Graph g, double[] r)
    {
        var w = InputTransform.Writable(g, Weight);
        var row = new double[N];
        for (int j = 0; j < K; j++)
        {
            for (int n = 0; n < N; n++) row[n] = w[At(j, n)];
            for (int c = 0; c < N; c++)
            {
                double acc = 0;
                for (int n = 0; n < N; n++) acc += row[n] * r[n * N + c];
                w[At(j, c)] = (float)acc;
            }
        }
    }

    /// <summary>The 1-D float32 bias of length N added to this layer's output and read by nothing else: Gemm's C, or the
    /// initializer of the only Add reading a MatMul's output. Null when there is none.</summary>
    public string? Bias(Graph.Graph g, Dictionary<string, List<Node>> consumers, HashSet<string> graphOutputs)
    {
        if (Node.OpType == "Gemm")
            return Node.Inputs.Count > 2 && IsVector(g, Node.Inputs[2], consumers) ? Node.Inputs[2] : null;
        string y = Node.Outputs[0];
        if (graphOutputs.Contains(y) || !consumers.TryGetValue(y, out var c) || c.Count != 1 || c[0] is not { OpType: "Add", Domain: "" } add) return null;
        string other = add.Inputs[0] == y ? add.Inputs[1] : add.Inputs[0];
        return add.Inputs.Count == 2 && other != y && IsVector(g, other, consumers) ? other : null;
    }

    private bool IsVector(Graph.Graph g, string name, Dictionary<string, List<Node>> consumers) =>
        g.Initializers.TryGetValue(name, out var b) && b.DType == DType.Float32 && b.Rank == 1 && b.Length == N && consumers[name].Count == 1;
}

/// <summary>An activation X and the linear layers that read it as input 0. <see cref="Exclusive"/>: X is read by these layers
/// only and is not a graph output, so its producer may be rewritten to emit a transformed X.</summary>
internal sealed record LinearGroup(string Input, IReadOnlyList<LinearUse> Layers, bool Exclusive)
{
    public int K => Layers[0].K;
    public string Names => string.Join(",", Layers.Select(l => l.Node.DisplayName));

    /// <summary>Every group in graph order; layers whose K disagrees with the group's are left out.</summary>
    public static List<LinearGroup> Find(Graph.Graph g)
    {
        var consumers = g.Consumers();
        var outputs = g.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var byInput = new Dictionary<string, List<LinearUse>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var n in g.Nodes)
        {
            if (LinearUse.Of(g, n, consumers) is not { } u) continue;
            if (!byInput.TryGetValue(n.Inputs[0], out var l)) { byInput[n.Inputs[0]] = l = []; order.Add(n.Inputs[0]); }
            if (l.Count == 0 || l[0].K == u.K) l.Add(u);
        }
        return order.Select(x =>
        {
            var l = byInput[x];
            bool exclusive = !outputs.Contains(x) && consumers[x].Count == l.Count && l.All(u => u.Node.Inputs.Skip(1).All(i => i != x));
            return new LinearGroup(x, l, exclusive);
        }).ToList();
    }
}
