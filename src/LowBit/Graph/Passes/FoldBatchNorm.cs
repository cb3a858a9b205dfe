using LowBit.Tensors;

namespace LowBit.Graph.Passes;

/// <summary>
/// Folds inference BatchNormalization into the Conv, ConvTranspose or Gemm that feeds it:
/// <c>BN(y) = s·(y − mean) + β</c> with <c>s = γ / √(var + ε)</c> per channel, so for y = W∗x + b
/// <c>W' = s·W</c> (scaled along the output-channel axis) and <c>b' = s·(b − mean) + β</c>.
/// For Gemm (channel = column of Y): op(B)'s columns are scaled and <c>C' = s·(beta·C − mean) + β</c>, beta' = 1.
/// Folds only when every tensor involved is a float32 initializer (not overridable as a graph input), the producer's output has no other reader and is not
/// a graph output, and the BN is in inference mode (one output; is_test = 1 before opset 7; training_mode = 0;
/// per-channel statistics, i.e. spatial = 1 or statistics of exactly C elements). New weights are new initializers:
/// tensors are never modified in place (they may be shared with the caller's graph).
/// </summary>
public static class FoldBatchNorm
{
    /// <summary>Rewrites <paramref name="g"/> in place; returns the number of BatchNormalization nodes removed.</summary>
    public static int Apply(Graph g)
    {
        int folded = 0;
        var replaced = new HashSet<string>();
        var outputs = new HashSet<string>(g.Outputs.Select(o => o.Name));
        foreach (var bn in g.Nodes.Where(n => n.OpType == "BatchNormalization" && n.Domain.Length == 0).ToList())
        {
            var producers = g.Producers();
            var consumers = g.Consumers();
            if (bn.Inputs.Count < 5 || !producers.TryGetValue(bn.Inputs[0], out var prod)) continue;
            if (prod.Domain.Length != 0 || prod.OpType is not ("Conv" or "ConvTranspose" or "Gemm")) continue;
            string y = bn.Inputs[0];
            if (outputs.Contains(y) || consumers[y].Count != 1 || prod.Outputs.Count != 1) continue;
            if (!IsInference(bn, g.OpsetOf(""))) continue;
            var stats = bn.Inputs.Skip(1).Take(4).Select(name => Float32Initializer(g, name)).ToArray();
            if (stats.Any(t => t is null)) continue;
            float eps = bn.Attributes.TryGetValue("epsilon", out var e) ? Convert.ToSingle(e.Value) : 1e-5f;
            var before = prod.Inputs.Skip(1).ToList();
            bool ok = prod.OpType == "Gemm" ? FoldIntoGemm(g, prod, stats!, eps) : FoldIntoConv(g, prod, stats!, eps);
            if (!ok) continue;
            replaced.UnionWith(bn.Inputs.Skip(1));
            replaced.UnionWith(before);
            prod.Outputs[0] = bn.Outputs[0];
            g.Nodes.Remove(bn);
            folded++;
        }
        if (folded > 0) RemoveUnused(g, replaced);
        return folded;
    }

    private static bool IsInference(Node bn, long opset)
    {
        if (bn.Outputs.Skip(1).Any(o => o.Length > 0)) return false;
        if (opset < 7 && (bn.Get<long?>("is_test") ?? 0) == 0) return false;
        if ((bn.Get<long?>("training_mode") ?? 0) != 0) return false;
        return true;
    }

    /// <summary>s = γ/√(var + ε) and the shift β − s·mean per channel, in double, or null unless all have C elements.</summary>
    private static (double[] Scale, double[] Mean, double[] Beta)? Coefficients(Tensor[] stats, float eps, int channels)
    {
        if (stats.Any(t => t.Length != channels)) return null;
        var gamma = stats[0].AsReadOnlySpan<float>();
        var beta = stats[1].AsReadOnlySpan<float>();
        var mean = stats[2].AsReadOnlySpan<float>();
        var variance = stats[3].AsReadOnlySpan<float>();
        var s = new double[channels];
        var m = new double[channels];
        var b = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            s[c] = gamma[c] / Math.Sqrt((double)variance[c] + eps);
            m[c] = mean[c];
            b[c] = beta[c];
        }
        return (s, m, b);
    }

    private static bool FoldIntoConv(Graph g, Node conv, Tensor[] stats, float eps)
    {
        if (conv.Inputs.Count < 2 || Float32Initializer(g, conv.Inputs[1]) is not Tensor w || w.Rank < 3) return false;
        bool transposed = conv.OpType == "ConvTranspose";
        long group = conv.Get<long?>("group") ?? 1;
        int channels = transposed ? checked(w.Shape[1] * (int)group) : w.Shape[0];
        Tensor? bias = null;
        if (conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 && (bias = Float32Initializer(g, conv.Inputs[2])) is null) return false;
        if (Coefficients(stats, eps, channels) is not var (s, mean, beta)) return false;

        // Output channel of weight element i: Conv W [M, C/g, k…] → i / (C/g·∏k);
        // ConvTranspose W [C, M/g, k…] → group(i)·M/g + (i / ∏k) mod M/g, with group(i) = (i / (M/g·∏k)) / (C/g).
        var src = w.AsReadOnlySpan<float>();
        var scaled = new float[w.Length];
        int kk = w.Shape[2..].Aggregate(1, (a, b) => a * b);
        int perOut = transposed ? kk : w.Length / w.Shape[0];
        int mg = transposed ? w.Shape[1] : 0, cg = transposed ? w.Shape[0] / (int)group : 0;
        for (int i = 0; i < scaled.Length; i++)
        {
            int co = transposed ? i / (mg * kk) / cg * mg + i / kk % mg : i / perOut;
            scaled[i] = (float)(src[i] * s[co]);
        }
        var newBias = new float[channels];
        for (int c = 0; c < channels; c++)
            newBias[c] = (float)(s[c] * ((bias is null ? 0.0 : bias.AsReadOnlySpan<float>()[c]) - mean[c]) + beta[c]);

        conv.Inputs[1] = AddInitializer(g, conv.Inputs[1] + "_bnfolded", Tensor.FromArray(scaled, w.Shape));
        string biasName = AddInitializer(g, (conv.Name.Length > 0 ? conv.Name : conv.Outputs[0]) + "_bnfolded_bias", Tensor.FromArray(newBias, channels));
        if (conv.Inputs.Count > 2) conv.Inputs[2] = biasName;
        else conv.Inputs.Add(biasName);
        return true;
    }

    private static bool FoldIntoGemm(Graph g, Node gemm, Tensor[] stats, float eps)
    {
        if (Float32Initializer(g, gemm.Inputs[1]) is not Tensor b || b.Rank != 2) return false;
        bool transB = (gemm.Get<long?>("transB") ?? 0) != 0;
        int k = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        Tensor? c = null;
        if (gemm.Inputs.Count > 2 && gemm.Inputs[2].Length > 0 && (c = Float32Initializer(g, gemm.Inputs[2])) is null) return false;
        if (Coefficients(stats, eps, n) is not var (s, mean, beta)) return false;
        float gemmBeta = gemm.Attributes.TryGetValue("beta", out var ba) ? Convert.ToSingle(ba.Value) : 1f;

        var src = b.AsReadOnlySpan<float>();
        var scaled = new float[b.Length];
        for (int i = 0; i < scaled.Length; i++) scaled[i] = (float)(src[i] * s[transB ? i / k : i % n]);

        // C' over broadcast(C, [N]): [M, N] stays [M, N]; anything else becomes a row vector [N].
        bool full = c is not null && c.Rank == 2 && c.Shape[0] > 1 && c.Shape[1] == n;
        int rows = full ? c!.Shape[0] : 1;
        var newC = new float[rows * n];
        int[]? map = c is null ? null : Broadcast.SourceIndex(c.Shape, [rows, n]);
        for (int i = 0; i < newC.Length; i++)
        {
            double cv = c is null ? 0 : gemmBeta * (double)c.AsReadOnlySpan<float>()[map![i]];
            newC[i] = (float)(s[i % n] * (cv - mean[i % n]) + beta[i % n]);
        }
        gemm.Inputs[1] = AddInitializer(g, gemm.Inputs[1] + "_bnfolded", Tensor.FromArray(scaled, b.Shape));
        string cName = AddInitializer(g, (gemm.Name.Length > 0 ? gemm.Name : gemm.Outputs[0]) + "_bnfolded_c",
            full ? Tensor.FromArray(newC, rows, n) : Tensor.FromArray(newC, n));
        if (gemm.Inputs.Count > 2) gemm.Inputs[2] = cName;
        else gemm.Inputs.Add(cName);
        gemm.With("beta", 1f);
        if (g.OpsetOf("") < 7) gemm.With("broadcast", 1L);
        return true;
    }

    private static Tensor? Float32Initializer(Graph g, string name) => GraphConstants.Float32(g, name);

    private static string AddInitializer(Graph g, string stem, Tensor t)
    {
        string name = g.UniqueName(stem);
        g.Initializers[name] = t;
        return name;
    }

    /// <summary>Drops the replaced weights and statistics that nothing reads any more.</summary>
    private static void RemoveUnused(Graph g, HashSet<string> candidates)
    {
        var used = new HashSet<string>(g.Nodes.SelectMany(n => n.AllInputNames()));
        used.UnionWith(g.Outputs.Select(o => o.Name));
        used.UnionWith(g.Inputs.Select(i => i.Name));
        foreach (var name in candidates)
            if (!used.Contains(name)) g.Initializers.Remove(name);
    }
}
