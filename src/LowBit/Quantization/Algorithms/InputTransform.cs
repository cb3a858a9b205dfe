using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// Applies a transform of a group's activation X to X's producer (so the graph computes the transformed X directly) or,
/// when the producer cannot absorb it, inserts a float node before the group's layers. The layers' weights are changed by
/// the caller so that every layer output is unchanged:
/// <code>
/// scale:  X' = X·diag(d) − c     folded into LayerNormalization: γ' = γ⊙d, β' = β⊙d − c (LN is affine in γ, β);
///                                into a producing MatMul/Gemm (+ bias), c = 0 only: W'[:, j] = d_j·W[:, j], b' = b⊙d;
///                                else inserted Mul(X, d) (and Add(·, −c)): one element-wise pass over X at run time.
/// rotate: X' = X·Q               into a producing MatMul/Gemm (+ bias): W' = W·Q, b' = b·Q; else an inserted float
///                                MatMul(X, Q): K² multiply-adds per token, as much as a K×K layer (never quantized).
/// </code>
/// Inserted nodes are named <see cref="NodePrefix"/>… so the quantizer keeps them float.
/// </summary>
internal static class InputTransform
{
    public const string NodePrefix = "lowbit_transform/";

    /// <summary>X ← X·diag(d) − c (c may be null = 0); returns how it was applied: "LayerNormalization", "MatMul", "Gemm"
    /// or "inserted Mul".</summary>
    public static string Scale(Graph.Graph g, LinearGroup grp, double[] d, double[]? c)
    {
        var consumers = g.Consumers();
        if (grp.Exclusive && g.Producers().TryGetValue(grp.Input, out var p))
        {
            if (LayerNorm(g, p, grp.K, consumers) is { } ln)
            {
                var gamma = Writable(g, ln.Scale);
                string bias = ln.Bias ?? AddBias(g, p, grp.K);
                var beta = Writable(g, bias);
                for (int j = 0; j < grp.K; j++)
                {
                    gamma[j] = (float)(gamma[j] * d[j]);
                    beta[j] = (float)(beta[j] * d[j] - (c?[j] ?? 0));
                }
                return "LayerNormalization";
            }
            if (c is null && LinearProducer(g, p, grp.K, consumers) is var (lin, b) && lin is not null)
            {
                lin.ScaleOutputs(g, d);
                if (b is not null)
                {
                    var bs = Writable(g, b);
                    for (int j = 0; j < grp.K; j++) bs[j] = (float)(bs[j] * d[j]);
                }
                return p.OpType;
            }
        }
        string x = Insert(g, grp, "Mul", Vector(d), "scale");
        if (c is not null)
        {
            var negC = Vector(c.Select(v => -v).ToArray());
            string y = g.UniqueName(grp.Input + ".shifted");
            string cn = g.UniqueName(grp.Input + ".shift");
            g.Initializers[cn] = negC;
            g.Add("Add", [x, cn], [y], NodePrefix + y);
            foreach (var l in grp.Layers) l.Node.Inputs[0] = y;
        }
        return "inserted Mul";
    }

    /// <summary>X ← X·Q for an orthogonal K×K Q (row-major); returns "MatMul", "Gemm" or "inserted MatMul" (the caller then
    /// replaces the layers' W by QᵀW).</summary>
    /// <param name="shared">Name of an initializer holding this Q already (reused when an inserted MatMul is needed);
    /// set to the new initializer's name when one is created.</param>
    /// <param name="insert">Whether a MatMul may be inserted when the producer cannot absorb Q; when not, nothing changes
    /// and null is returned.</param>
    public static string? Rotate(Graph.Graph g, LinearGroup grp, double[] q, ref string? shared, bool insert = true)
    {
        var consumers = g.Consumers();
        if (grp.Exclusive && g.Producers().TryGetValue(grp.Input, out var p) && LinearProducer(g, p, grp.K, consumers) is var (lin, b) && lin is not null)
        {
            lin.MultiplyRight(g, q);
            if (b is not null)
            {
                var bs = Writable(g, b);
                var old = new double[grp.K];
                for (int j = 0; j < grp.K; j++) old[j] = bs[j];
                for (int c = 0; c < grp.K; c++)
                {
                    double acc = 0;
                    for (int j = 0; j < grp.K; j++) acc += old[j] * q[j * grp.K + c];
                    bs[c] = (float)acc;
                }
            }
            return p.OpType;
        }
        if (!insert) return null;
        if (shared is null)
        {
            var t = Tensor.Empty(DType.Float32, [grp.K, grp.K]);
            var s = t.AsSpan<float>();
            for (int i = 0; i < q.Length; i++) s[i] = (float)q[i];
            shared = g.UniqueName($"lowbit_rotation_{grp.K}");
            g.Initializers[shared] = t;
        }
        string y = g.UniqueName(grp.Input + ".rotated");
        g.Add("MatMul", [grp.Input, shared], [y], NodePrefix + y);
        foreach (var l in grp.Layers) l.Node.Inputs[0] = y;
        return "inserted MatMul";
    }

    /// <summary>The initializer <paramref name="name"/> as a writable span of a tensor this graph owns: prepared graphs share
    /// tensors with the caller's model (GraphCopy), so the first write replaces it by a copy.</summary>
    public static Span<float> Writable(Graph.Graph g, string name)
    {
        var t = g.Initializers[name];
        if (!Owned.TryGetValue(g, out var mine)) Owned.Add(g, mine = new HashSet<Tensor>(ReferenceEqualityComparer.Instance));
        if (!mine.Contains(t))
        {
            t = t.Clone();
            g.Initializers[name] = t;
            mine.Add(t);
        }
        return t.AsSpan<float>();
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Graph.Graph, HashSet<Tensor>> Owned = new();

    /// <summary>op(X, constant) → X', and the group's layers read X' instead of X.</summary>
    private static string Insert(Graph.Graph g, LinearGroup grp, string op, Tensor constant, string what)
    {
        string cn = g.UniqueName(grp.Input + "." + what);
        g.Initializers[cn] = constant;
        string y = g.UniqueName(grp.Input + "." + what + "d");
        g.Add(op, [grp.Input, cn], [y], NodePrefix + y);
        foreach (var l in grp.Layers) l.Node.Inputs[0] = y;
        return y;
    }

    private static Tensor Vector(double[] v)
    {
        var t = Tensor.Empty(DType.Float32, [v.Length]);
        var s = t.AsSpan<float>();
        for (int i = 0; i < v.Length; i++) s[i] = (float)v[i];
        return t;
    }

    private static string AddBias(Graph.Graph g, Node ln, int k)
    {
        string name = g.UniqueName((ln.Name.Length > 0 ? ln.Name : ln.Outputs[0]) + ".bias");
        g.Initializers[name] = Tensor.Zeros(DType.Float32, [k]);
        while (ln.Inputs.Count < 3) ln.Inputs.Add("");
        ln.Inputs[2] = name;
        return name;
    }

    /// <summary>A LayerNormalization over X's last axis only (1-D scale of length K) whose scale and bias are float32
    /// initializers read by it alone, and whose Mean/InvStdDev outputs are unused.</summary>
    internal static (string Scale, string? Bias)? LayerNorm(Graph.Graph g, Node p, int k, Dictionary<string, List<Node>> consumers)
    {
        if (p.OpType != "LayerNormalization" || p.Domain != "" || p.Inputs.Count < 2) return null;
        if (p.Outputs.Skip(1).Any(o => o.Length > 0 && consumers.ContainsKey(o))) return null;
        bool Vec(string n) => g.Initializers.TryGetValue(n, out var t) && t.DType == DType.Float32 && t.Rank == 1 && t.Length == k && consumers[n].Count == 1;
        if (!Vec(p.Inputs[1])) return null;
        string? bias = p.Inputs.Count > 2 && p.Inputs[2].Length > 0 ? p.Inputs[2] : null;
        if (bias is not null && !Vec(bias)) return null;
        return (p.Inputs[1], bias);
    }

    /// <summary>X = MatMul/Gemm(…) (+ 1-D bias): the producing layer and its bias (null when none).</summary>
    private static (LinearUse? Layer, string? Bias) LinearProducer(Graph.Graph g, Node p, int k, Dictionary<string, List<Node>> consumers)
    {
        var outputs = g.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        if (p is { OpType: "Add", Domain: "" } && p.Inputs.Count == 2)
        {
            var producers = g.Producers();
            foreach (var mm in p.Inputs)
                if (producers.TryGetValue(mm, out var m) && m.OpType == "MatMul" && LinearUse.Of(g, m, consumers) is { } u && u.N == k
                    && u.Bias(g, consumers, outputs) is { } b && p.Inputs.Contains(b))
                    return (u, b);
            return (null, null);
        }
        if (LinearUse.Of(g, p, consumers) is { } l && l.N == k)
        {
            string? bias = l.Bias(g, consumers, outputs);
            // A MatMul whose output feeds a bias Add is the Add's case above: X here is the MatMul output itself.
            return (l, p.OpType == "Gemm" ? bias : null);
        }
        return (null, null);
    }
}
