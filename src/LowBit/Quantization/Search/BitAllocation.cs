namespace LowBit.Quantization.Search;

/// <summary>One candidate for one layer: its format name (e.g. "int4", "float"), its cost under the budget (bytes, BOPs or
/// milliseconds: the caller decides; finite, ≥ 0) and its estimated loss increase (any finite value).</summary>
internal sealed record LayerChoice(string Format, double Cost, double Loss)
{
    public double Cost { get; } = double.IsFinite(Cost) && Cost >= 0 ? Cost
        : throw new LowBitException(ErrorKind.Usage, $"format '{Format}': cost {Cost} must be finite and ≥ 0");
    public double Loss { get; } = double.IsFinite(Loss) ? Loss
        : throw new LowBitException(ErrorKind.Usage, $"format '{Format}': estimated loss {Loss} must be finite");
}

/// <summary>One layer of an allocation problem and its candidates (at least one; copied, so later edits of the caller's
/// list do not change the problem).</summary>
internal sealed record AllocationLayer(string Node, IReadOnlyList<LayerChoice> Choices)
{
    public IReadOnlyList<LayerChoice> Choices { get; } = Choices is { Count: > 0 } ? Choices.ToArray()
        : throw new LowBitException(ErrorKind.Usage, $"layer '{Node}' has no candidate formats");
}

/// <summary>Choice[i] indexes layers[i].Choices; Cost = Σ cost, Loss = Σ loss (summed in layer order). Optimal: branch and
/// bound proved that no assignment within the budget has a lower loss (false for greedy and when the node limit hit).</summary>
internal sealed record Allocation(IReadOnlyList<int> Choice, double Cost, double Loss, bool Optimal, long NodesExplored);

/// <summary>
/// Per-layer format allocation as a multiple-choice knapsack: pick one choice x_i per layer to minimize Σ loss(x_i)
/// subject to Σ cost(x_i) ≤ B (Sinha &amp; Zoltners 1979, "The multiple-choice knapsack problem", Oper. Res. 27(3)).
/// Exact: branch and bound, level by level with dominance between partial assignments (BitAllocation.Search.cs), cut by
/// the LP-relaxation bound (BitAllocation.Bound.cs). Greedy: incremental upgrades by loss decrease per extra cost (the
/// usual mixed-precision heuristic; not optimal in general).
/// A cost fits when Σ cost ≤ B + 1e-12·|B| + 1e-12, so an assignment whose exact cost is B is never lost to rounding.
/// </summary>
internal static partial class BitAllocation
{
    /// <summary>Relative pruning tolerance: a subtree is cut when its bound ≥ best − RelativeGap·|best|.</summary>
    private const double RelativeGap = 1e-12;

    /// <summary>Minimizes Σ loss subject to Σ cost ≤ <paramref name="budget"/>, one choice per layer. Keeps at most
    /// <paramref name="nodeLimit"/> search states (each ~60 bytes until the search ends: the default bounds memory near
    /// 1.2 GB, reached only by subset-sum-like inputs with many equal loss/cost rates); beyond that returns the best
    /// assignment found, with Optimal = false.</summary>
    public static Allocation Exact(IReadOnlyList<AllocationLayer> layers, double budget, long nodeLimit = 20_000_000, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeLimit, 1);
        var seed = Greedy(layers, budget);
        return new BranchAndBound(layers).Solve(budget, seed, nodeLimit, cancel);
    }

    /// <summary>Starts from every layer's cheapest choice (ties: lower loss, then lower index), then repeatedly applies the
    /// single upgrade (layer, choice) with the largest (loss decrease)/(extra cost) that still fits (a decrease at no extra
    /// cost ranks first; ties: larger decrease, then lower layer, then lower choice), until no upgrade lowers the loss.
    /// Each step lowers one layer's loss strictly, so there are at most Σ (choices − 1) steps.</summary>
    public static Allocation Greedy(IReadOnlyList<AllocationLayer> layers, double budget)
    {
        CheckBudget(layers, budget);
        double cap = Ceiling(budget);
        var pick = new int[layers.Count];
        for (int i = 0; i < pick.Length; i++) pick[i] = Cheapest(layers[i].Choices);
        while (true)
        {
            double total = Sum(layers, pick, c => c.Cost);
            int bestLayer = -1, bestChoice = -1;
            double bestRate = 0, bestGain = 0;
            for (int i = 0; i < pick.Length; i++)
            {
                var choices = layers[i].Choices;
                var current = choices[pick[i]];
                for (int j = 0; j < choices.Count; j++)
                {
                    double gain = current.Loss - choices[j].Loss, extra = choices[j].Cost - current.Cost;
                    if (gain <= 0 || total + extra > cap) continue;
                    double rate = extra <= 0 ? double.PositiveInfinity : gain / extra;
                    if (bestLayer < 0 || rate > bestRate || (rate == bestRate && gain > bestGain))
                        (bestLayer, bestChoice, bestRate, bestGain) = (i, j, rate, gain);
                }
            }
            if (bestLayer < 0) return Assemble(layers, pick, optimal: false, nodes: 0);
            pick[bestLayer] = bestChoice;
        }
    }

    /// <summary>The exact optimum at <paramref name="points"/> budgets B_k = lo·(hi/lo)^(k/(points − 1)), k = 0..points−1
    /// (geometric, so the small budgets where the choices matter get most points; linear when lo = 0), between the cheapest
    /// (lo) and the most expensive (hi) total cost, ordered by cost and reduced to the Pareto front of
    /// (cost, loss): a point is kept only when its loss is below that of every cheaper kept point (by more than the
    /// pruning tolerance), which also removes repeated assignments.</summary>
    public static IReadOnlyList<Allocation> ParetoFront(IReadOnlyList<AllocationLayer> layers, int points, CancellationToken cancel = default)
    {
        if (points < 2) throw new LowBitException(ErrorKind.Usage, $"a Pareto front needs at least 2 budgets (the cheapest and the most expensive), got {points}");
        double lo = MinCost(layers), hi = 0;
        foreach (var layer in layers) hi += layer.Choices.Max(c => c.Cost);
        var search = new BranchAndBound(layers);
        var solved = new List<Allocation>(points);
        for (int k = 0; k < points; k++)
        {
            double t = (double)k / (points - 1);
            double budget = k == points - 1 ? hi : lo > 0 ? lo * Math.Pow(hi / lo, t) : lo + (hi - lo) * t;
            solved.Add(search.Solve(budget, Greedy(layers, budget), 20_000_000, cancel));
        }
        var front = new List<Allocation>();
        foreach (var a in solved.OrderBy(a => a.Cost).ThenBy(a => a.Loss))
            if (front.Count == 0 || a.Loss < front[^1].Loss - RelativeGap * Math.Abs(front[^1].Loss)) front.Add(a);
        return front;
    }

    /// <summary>Σ over layers of the cheapest choice's cost: the smallest budget any assignment meets.</summary>
    public static double MinCost(IReadOnlyList<AllocationLayer> layers)
    {
        double sum = 0;
        foreach (var layer in layers) sum += layer.Choices.Min(c => c.Cost);
        return sum;
    }

    /// <summary>The largest total cost that still fits budget B: B + 1e-12·|B| + 1e-12.</summary>
    private static double Ceiling(double budget) => budget + RelativeGap * Math.Abs(budget) + 1e-12;

    private static void CheckBudget(IReadOnlyList<AllocationLayer> layers, double budget)
    {
        if (double.IsNaN(budget)) throw new LowBitException(ErrorKind.Usage, "budget NaN is not a number");
        double min = MinCost(layers);
        if (min > Ceiling(budget))
            throw new LowBitException(ErrorKind.Usage, $"budget {budget} is below the smallest reachable cost {min} (every layer at its cheapest format)");
    }

    /// <summary>Index of the lowest-cost choice; ties: lower loss, then lower index.</summary>
    private static int Cheapest(IReadOnlyList<LayerChoice> choices)
    {
        int best = 0;
        for (int j = 1; j < choices.Count; j++)
            if (choices[j].Cost < choices[best].Cost || (choices[j].Cost == choices[best].Cost && choices[j].Loss < choices[best].Loss)) best = j;
        return best;
    }

    private static double Sum(IReadOnlyList<AllocationLayer> layers, int[] pick, Func<LayerChoice, double> value)
    {
        double sum = 0;
        for (int i = 0; i < pick.Length; i++) sum += value(layers[i].Choices[pick[i]]);
        return sum;
    }

    private static Allocation Assemble(IReadOnlyList<AllocationLayer> layers, int[] pick, bool optimal, long nodes) =>
        new(pick, Sum(layers, pick, c => c.Cost), Sum(layers, pick, c => c.Loss), optimal, nodes);
}
