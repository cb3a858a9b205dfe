namespace LowBit.Quantization.Search;

/// <summary>A per-node format assignment with its estimated file size (fixed bytes + each node's bytes at its format)
/// and estimated loss (the sum of the chosen single-layer scores). <see cref="Optimal"/>: proven by branch and bound.</summary>
public sealed record MixedPlan(IReadOnlyDictionary<string, string> Formats, long EstimatedBytes, double EstimatedLoss, bool Optimal, string Solver)
{
    /// <summary>Nodes per format, e.g. "int4 31, int8 12, float 2".</summary>
    public string Summary(IEnumerable<string> order) =>
        string.Join(", ", order.Select(f => (f, n: Formats.Values.Count(v => v == f))).Where(x => x.n > 0).Select(x => $"{x.f} {x.n}"));
}

/// <summary>What a budget limits: the file size, the weighted layers' bit operations per sample, or the latency measured
/// in a deployment engine (<see cref="LatencyTable"/>).</summary>
public enum BudgetKind { Size, Bops, Latency }

/// <summary>
/// Bit allocation from a <see cref="SensitivityTable"/> (issue 11 part 2): every node with weights gets one of the table's
/// formats, minimizing the summed single-layer scores of one <see cref="SensitivityMethod"/> under a file-size budget,
/// solved exactly (<see cref="BitAllocation.Exact"/>) or greedily. Nodes without weights (Add, pooling) cost nothing under
/// a size budget and keep the base config's quantization. The additive model is Hubara et al.'s (2021) integer program
/// with measured per-layer losses.
/// </summary>
public static class MixedPrecision
{
    /// <summary>Bit operations per sample of the weighted nodes when every one is float (the BOPs budget's reference).</summary>
    public static double FloatBops(SensitivityTable t) =>
        t.Rows.Where(r => r.Parameters > 0).GroupBy(r => r.Node).Sum(g => g.First().Macs * 32.0 * 32);

    /// <summary>Bit operations per sample of the weighted nodes under <paramref name="plan"/>.</summary>
    public static double Bops(SensitivityTable t, MixedPlan plan) => plan.Formats.Sum(kv => t.Row(kv.Key, kv.Value)?.Bops ?? 0);

    /// <summary>The lowest estimated loss within <paramref name="budget"/> bit operations per sample (weighted nodes).</summary>
    public static MixedPlan AllocateBops(SensitivityTable t, SensitivityMethod method, double budget, CancellationToken cancel = default)
    {
        var layers = Layers(t, method, r => r.Bops);
        double min = BitAllocation.MinCost(layers), total = FloatBops(t);
        if (budget < min)
            throw new LowBitException(ErrorKind.Usage, $"BOPs budget {budget / total:0.####}× of float is below the smallest reachable, {min / total:0.####}× (every layer at its smallest format)");
        var plan = ToPlan(layers, BitAllocation.Exact(layers, budget, cancel: cancel), 0, "branch and bound");
        return plan with { EstimatedBytes = EstimatedBytes(t, plan.Formats) };
    }

    /// <summary>Every weighted node at <paramref name="format"/>, as a plan with its estimates from the same table.</summary>
    public static MixedPlan Uniform(SensitivityTable t, string format, SensitivityMethod method)
    {
        var formats = t.Rows.Where(r => r.Format == format && r.Parameters > 0).ToDictionary(r => r.Node, _ => format, StringComparer.Ordinal);
        return new MixedPlan(formats, EstimatedBytes(t, formats), formats.Sum(kv => t.Row(kv.Key, format)!.Score(method) ?? 0), false, "uniform");
    }

    /// <summary>Fixed bytes plus each assigned node's bytes at its format.</summary>
    private static long EstimatedBytes(SensitivityTable t, IReadOnlyDictionary<string, string> formats) =>
        FixedBytes(t) + formats.Sum(kv => t.Row(kv.Key, kv.Value)!.Bytes);

    /// <summary>The layers of the knapsack: weighted nodes, each choice's cost (bytes, or BOPs per sample) and loss by
    /// <paramref name="method"/>.</summary>
    internal static List<AllocationLayer> Layers(SensitivityTable t, SensitivityMethod method, Func<LayerScore, double>? cost = null) =>
        t.Rows.Where(r => r.Parameters > 0).GroupBy(r => r.Node).Select(g => new AllocationLayer(g.Key, g.Select(r =>
            new LayerChoice(r.Format, cost?.Invoke(r) ?? r.Bytes, r.Score(method) ?? throw new LowBitException(ErrorKind.Usage,
                $"sensitivity method {SensitivityMethods.Name(method)} was not measured for node '{r.Node}' ({MissingReason(method, t)})"))).ToList())).ToList();

    private static string MissingReason(SensitivityMethod m, SensitivityTable t) => m switch
    {
        SensitivityMethod.Kl when !t.Classifier => "kl needs a classifier: one output of shape [N, classes]",
        SensitivityMethod.Loss when !t.Labelled => "loss needs labelled data",
        _ => "not requested",
    };

    /// <summary>Bytes every assignment pays (the largest of the uniform files' fixed parts).</summary>
    public static long FixedBytes(SensitivityTable t) => t.FixedBytes.Count == 0 ? 0 : t.FixedBytes.Values.Max();

    /// <summary>The lowest estimated loss within <paramref name="budgetBytes"/> of file size.</summary>
    public static MixedPlan Allocate(SensitivityTable t, SensitivityMethod method, long budgetBytes, bool exact = true, CancellationToken cancel = default)
    {
        var layers = Layers(t, method);
        long fixedBytes = FixedBytes(t);
        double min = BitAllocation.MinCost(layers) + fixedBytes;
        if (budgetBytes < min)
            throw new LowBitException(ErrorKind.Usage, $"size budget {budgetBytes} bytes ({(double)budgetBytes / t.FloatBytes:0.###}× of float) is below the smallest reachable, " +
                $"{min:0} bytes ({min / t.FloatBytes:0.###}×: every layer at its smallest format)");
        var a = exact ? BitAllocation.Exact(layers, budgetBytes - fixedBytes, cancel: cancel) : BitAllocation.Greedy(layers, budgetBytes - fixedBytes);
        return ToPlan(layers, a, fixedBytes, exact ? "branch and bound" : "greedy");
    }

    /// <summary>The lowest estimated loss within <paramref name="budgetMs"/> of estimated latency
    /// (<see cref="LatencyTable.Estimate"/>).</summary>
    public static MixedPlan AllocateLatency(SensitivityTable t, SensitivityMethod method, LatencyTable latency, double budgetMs, bool exact = true, CancellationToken cancel = default)
    {
        var layers = Layers(t, method, r => latency.Of(r.Node, r.Format));
        double min = BitAllocation.MinCost(layers) + latency.FixedMs;
        if (!(budgetMs >= min))
            throw new LowBitException(ErrorKind.Usage, $"latency budget {budgetMs:0.###} ms ({budgetMs / latency.FloatMs:0.###}× of float) is below the smallest reachable estimate, " +
                $"{min:0.###} ms ({min / latency.FloatMs:0.###}×: every layer at its fastest format)");
        double layerBudget = budgetMs - latency.FixedMs;
        var a = exact ? BitAllocation.Exact(layers, layerBudget, cancel: cancel) : BitAllocation.Greedy(layers, layerBudget);
        var plan = ToPlan(layers, a, 0, exact ? "branch and bound" : "greedy");
        return plan with { EstimatedBytes = EstimatedBytes(t, plan.Formats) };
    }

    /// <summary>The Pareto front of (size, estimated loss), or of (estimated latency, estimated loss) given
    /// <paramref name="latency"/>: exact optima at <paramref name="points"/> budgets spaced geometrically from the smallest to
    /// the largest reachable cost (<see cref="BitAllocation.ParetoFront"/>).</summary>
    public static IReadOnlyList<MixedPlan> Front(SensitivityTable t, SensitivityMethod method, int points, CancellationToken cancel = default, LatencyTable? latency = null)
    {
        var layers = latency is null ? Layers(t, method) : Layers(t, method, r => latency.Of(r.Node, r.Format));
        return BitAllocation.ParetoFront(layers, Math.Max(2, points), cancel)
            .Select(a => ToPlan(layers, a, FixedBytes(t), "branch and bound"))
            .Select(p => latency is null ? p : p with { EstimatedBytes = EstimatedBytes(t, p.Formats) }).ToList();
    }

    private static MixedPlan ToPlan(List<AllocationLayer> layers, Allocation a, long fixedBytes, string solver) =>
        new(layers.Select((l, i) => (l.Node, l.Choices[a.Choice[i]].Format)).ToDictionary(x => x.Node, x => x.Format, StringComparer.Ordinal),
            fixedBytes + (long)Math.Round(a.Cost), a.Loss, a.Optimal, solver);

    /// <summary>The plan as recipe overrides on top of <paramref name="existing"/> (whose own per-node entries and
    /// exclusions are kept; a node the plan assigns is overridden by the plan).</summary>
    public static QuantRecipe Recipe(MixedPlan plan, IReadOnlyDictionary<string, FormatChoice> choices, QuantRecipe? existing = null)
    {
        var nodes = new Dictionary<string, NodeOverride>(existing?.Nodes ?? new Dictionary<string, NodeOverride>(), StringComparer.Ordinal);
        foreach (var (node, format) in plan.Formats) nodes[node] = choices[format].Override;
        var excluded = (existing?.ExcludeNodes ?? []).Where(n => !plan.Formats.ContainsKey(n));
        return new QuantRecipe(nodes, excluded, existing?.ExcludeOpTypes);
    }
}
