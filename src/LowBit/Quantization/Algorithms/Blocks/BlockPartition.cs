using LowBit.Graph;

namespace LowBit.Quantization.Algorithms.Blocks;

/// <summary>
/// A reconstruction block: a run of consecutive nodes (graph order) entered through <see cref="Input"/> and left through
/// <see cref="Output"/> only. <see cref="SideInputs"/> are the other non-initializer values the nodes read from outside
/// (shape-only or constant values, and a model's extra inputs); <see cref="Layers"/> are its weighted nodes to reconstruct.
/// </summary>
internal sealed record Block(string Input, string Output, IReadOnlyList<Node> Nodes, IReadOnlyList<Node> Layers, IReadOnlyList<string> SideInputs)
{
    public override string ToString() => $"{Input} → {Output} ({Layers.Count} layer{(Layers.Count == 1 ? "" : "s")}: {string.Join(", ", Layers.Select(l => l.DisplayName))})";
}

/// <summary>
/// Finds BRECQ's reconstruction blocks in any graph (Li et al. 2021, arXiv:2102.05426, §3.2: a block is a residual
/// bottleneck / transformer sub-layer, whose output error is reconstructed jointly).
/// <para>
/// Rule. With the nodes in topological order n₀…n_{N−1}, a value v is <i>live after</i> nᵢ when it is produced at or
/// before i (graph inputs before n₀) and read after i (graph outputs are read at N). v is a <i>cut</i> after nᵢ when it is
/// the only dynamic live value there: every path from the graph input to n_{i+1…} then passes through v (v dominates the
/// rest) and v is the only value leaving n₀…nᵢ (it post-dominates the prefix). Static values (initializers, and outputs of
/// nodes reading only static values or Shape/Size of anything) are excluded: they are the same in every run. Consecutive
/// cuts c_a, c_b bound a single-entry single-exit region; a residual block (x → branch → Add(x, ·)) holds no cut inside
/// because x stays live over the branch, so it comes out whole; a plain chain conv → relu → conv is cut after every node.
/// </para>
/// <para>
/// Regions holding ≥ 1 marked layer become blocks (a multi-layer region is a residual block, the others single-layer
/// blocks); regions without layers join the preceding block (its output then ends after the activation, as the paper's
/// blocks do) or, before the first layer, the following one. A pre-norm transformer layer yields two blocks, attention
/// (LN → q/k/v → softmax → proj → Add) and MLP (LN → fc1 → act → fc2 → Add), since the residual stream between them is a cut;
/// <see cref="Merge"/> joins neighbours.
/// </para>
/// </summary>
internal static class BlockPartition
{
    public static List<Block> Find(Graph.Graph g, IReadOnlyCollection<Node> layers)
    {
        var nodes = g.Nodes;
        int n = nodes.Count;
        var layerSet = new HashSet<Node>(layers, ReferenceEqualityComparer.Instance);
        var statics = StaticValues(g);
        var produced = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var v in g.RealInputs) produced[v.Name] = -1;
        for (int i = 0; i < n; i++)
            foreach (var o in nodes[i].Outputs) if (o.Length > 0) produced[o] = i;
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
            foreach (var v in nodes[i].AllInputNames())
                if (produced.ContainsKey(v) && !statics.Contains(v)) lastUse[v] = i;
        foreach (var o in g.Outputs) if (produced.ContainsKey(o.Name)) lastUse[o.Name] = n;

        // Live intervals [produced, lastUse) swept in order: cut after i when exactly one value is live.
        var starts = new List<string>[n + 1];
        var ends = new List<string>[n + 1];
        for (int i = 0; i <= n; i++) { starts[i] = new(); ends[i] = new(); }
        foreach (var (v, last) in lastUse)
        {
            int p = produced[v];
            if (last > p) { starts[p + 1].Add(v); ends[last].Add(v); }
        }
        var live = new HashSet<string>(StringComparer.Ordinal);
        var cuts = new List<(int After, string Value)>();
        for (int i = -1; i < n; i++)
        {
            foreach (var v in starts[i + 1]) live.Add(v);
            if (i >= 0) foreach (var v in ends[i]) live.Remove(v);
            if (live.Count == 1) cuts.Add((i, live.First()));
        }
        if (cuts.Count == 0 || cuts[0].After != -1) cuts.Insert(0, (-1, g.RealInputs.FirstOrDefault()?.Name ?? ""));

        var regions = new List<Block>();
        for (int c = 0; c < cuts.Count; c++)
        {
            int from = cuts[c].After + 1, to = c + 1 < cuts.Count ? cuts[c + 1].After : n - 1;
            if (to < from) continue;
            string exit = c + 1 < cuts.Count ? cuts[c + 1].Value : g.Outputs.Count > 0 ? g.Outputs[0].Name : nodes[to].Outputs[0];
            var span = nodes.Skip(from).Take(to - from + 1).ToList();
            regions.Add(Make(g, cuts[c].Value, exit, span, layerSet, statics));
        }
        var blocks = new List<Block>();
        var pending = new List<Block>();
        foreach (var r in regions)
        {
            if (r.Layers.Count == 0 && blocks.Count > 0) { blocks[^1] = Join(g, blocks[^1], r, layerSet, statics); continue; }
            if (r.Layers.Count == 0) { pending.Add(r); continue; }
            var b = r;
            for (int i = pending.Count - 1; i >= 0; i--) b = Join(g, pending[i], b, layerSet, statics);
            pending.Clear();
            blocks.Add(b);
        }
        return blocks;
    }

    /// <summary>
    /// Entropy-guided merging after Q-VLM (Wang et al. 2024, arXiv:2410.08119, §3.2), which observes that the entropy of a
    /// block's output activation correlates with how strongly the discretization error of the next layers depends on it
    /// and uses it as the proxy to choose block boundaries. Criterion implemented here: with Ĥ(b) = H(out_b)/log₂(bins) the
    /// normalized Shannon entropy of the histogram of block b's float output (∈ [0, 1]), blocks b and b+1 are merged when
    /// Ĥ(b) ≥ <paramref name="threshold"/> (a high-entropy boundary carries much information the next block depends on,
    /// so its error is reconstructed jointly); merging runs left to right and stops growing a block at
    /// <paramref name="maxLayers"/> layers. Ĥ of the merged block's inner boundary is no longer a boundary.
    /// </summary>
    public static List<Block> Merge(Graph.Graph g, IReadOnlyList<Block> blocks, Func<Block, double> normalizedOutputEntropy,
        double threshold, int maxLayers)
    {
        var layerSet = new HashSet<Node>(blocks.SelectMany(b => b.Layers), ReferenceEqualityComparer.Instance);
        var statics = StaticValues(g);
        var merged = new List<Block>();
        foreach (var b in blocks)
        {
            if (merged.Count > 0 && merged[^1].Layers.Count + b.Layers.Count <= maxLayers
                && normalizedOutputEntropy(merged[^1]) >= threshold)
                merged[^1] = Join(g, merged[^1], b, layerSet, statics);
            else merged.Add(b);
        }
        return merged;
    }

    /// <summary>Normalized histogram entropy H/log₂(bins) of <paramref name="values"/> over their [min, max] in
    /// <paramref name="bins"/> equal bins (Ĥ of <see cref="Merge"/>); 0 for a constant.</summary>
    public static double NormalizedEntropy(ReadOnlySpan<float> values, int bins = 256)
    {
        float lo = float.MaxValue, hi = float.MinValue;
        foreach (float v in values) if (float.IsFinite(v)) { lo = MathF.Min(lo, v); hi = MathF.Max(hi, v); }
        if (!(hi > lo)) return 0;
        var counts = new long[bins];
        long total = 0;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) continue;
            counts[Math.Min(bins - 1, (int)((v - lo) / (hi - lo) * bins))]++;
            total++;
        }
        double h = 0;
        foreach (long c in counts) if (c > 0) { double p = (double)c / total; h -= p * Math.Log2(p); }
        return h / Math.Log2(bins);
    }

    /// <summary>Two adjacent blocks as one (a's output becomes internal).</summary>
    internal static Block Join(Graph.Graph g, Block a, Block b, HashSet<Node> layerSet, HashSet<string> statics) =>
        Make(g, a.Input, b.Output, a.Nodes.Concat(b.Nodes).ToList(), layerSet, statics);

    private static Block Make(Graph.Graph g, string input, string output, List<Node> nodes, HashSet<Node> layerSet, HashSet<string> statics)
    {
        var inside = new HashSet<string>(nodes.SelectMany(x => x.Outputs), StringComparer.Ordinal);
        var side = nodes.SelectMany(x => x.AllInputNames())
            .Where(v => v.Length > 0 && v != input && !inside.Contains(v) && !g.Initializers.ContainsKey(v))
            .Distinct(StringComparer.Ordinal).ToList();
        return new Block(input, output, nodes, nodes.Where(layerSet.Contains).ToList(), side);
    }

    /// <summary>Values that do not depend on the data: initializers, outputs of Shape/Size, and of nodes whose inputs are
    /// all static (constant subgraphs).</summary>
    internal static HashSet<string> StaticValues(Graph.Graph g)
    {
        var s = new HashSet<string>(g.Initializers.Keys, StringComparer.Ordinal);
        foreach (var v in g.RealInputs) s.Remove(v.Name);
        foreach (var node in g.Nodes)
        {
            bool isStatic = node.OpType is "Shape" or "Size" || node.AllInputNames().All(v => v.Length == 0 || s.Contains(v));
            if (isStatic && !node.Subgraphs().Any()) foreach (var o in node.Outputs) if (o.Length > 0) s.Add(o);
        }
        return s;
    }
}
