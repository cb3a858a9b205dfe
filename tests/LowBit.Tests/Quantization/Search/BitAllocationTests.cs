using LowBit.Quantization.Search;

namespace LowBit.Tests.Quantization.Search;

/// <summary>Multiple-choice knapsack allocation (Quantization/Search/BitAllocation*.cs). Reference: exhaustive enumeration
/// of every assignment. Loss tolerance 1e-12·Σ_i max|loss_i|: tied optima may be summed from different terms, whose
/// rounding is relative to the terms' magnitude, not to the (possibly tiny) total.</summary>
public class BitAllocationTests
{
    private static bool Fits(double cost, double budget) => cost <= budget + 1e-12 * Math.Abs(budget) + 1e-12;

    private static double Tolerance(IReadOnlyList<AllocationLayer> layers) => 1e-12 * Math.Max(1e-300, layers.Sum(l => l.Choices.Max(c => Math.Abs(c.Loss))));

    /// <summary>Lowest loss over all assignments with cost ≤ budget (+∞ if none), and the cost of one attaining it.</summary>
    private static (double Loss, double Cost) BruteForce(IReadOnlyList<AllocationLayer> layers, double budget)
    {
        var pick = new int[layers.Count];
        (double Loss, double Cost) best = (double.PositiveInfinity, double.NaN);
        while (true)
        {
            double cost = 0, loss = 0;
            for (int i = 0; i < pick.Length; i++) (cost, loss) = (cost + layers[i].Choices[pick[i]].Cost, loss + layers[i].Choices[pick[i]].Loss);
            if (Fits(cost, budget) && loss < best.Loss) best = (loss, cost);
            int at = 0;
            while (at < pick.Length && ++pick[at] == layers[at].Choices.Count) pick[at++] = 0;
            if (at == pick.Length) return best;
        }
    }

    /// <summary>Recomputes cost and loss from Choice (caller order) and checks them against the record and the budget.</summary>
    private static void AssertConsistent(IReadOnlyList<AllocationLayer> layers, Allocation a, double budget)
    {
        Assert.Equal(layers.Count, a.Choice.Count);
        double cost = 0, loss = 0;
        for (int i = 0; i < layers.Count; i++) (cost, loss) = (cost + layers[i].Choices[a.Choice[i]].Cost, loss + layers[i].Choices[a.Choice[i]].Loss);
        Assert.Equal(cost, a.Cost);
        Assert.Equal(loss, a.Loss);
        Assert.True(Fits(a.Cost, budget), $"cost {a.Cost} exceeds budget {budget}");
    }

    /// <summary>Small instances with ties and dominated choices: costs and losses drawn from a few small integers half the
    /// time (equal costs, equal losses, choices both dearer and worse), continuous otherwise.</summary>
    private static AllocationLayer[] SmallInstance(Random rng)
    {
        bool discrete = rng.Next(2) == 0;
        return Enumerable.Range(0, rng.Next(1, 9)).Select(i => new AllocationLayer($"n{i}", Enumerable.Range(0, rng.Next(1, 5))
            .Select(j => discrete ? new LayerChoice($"f{j}", rng.Next(0, 5), rng.Next(0, 4)) : new LayerChoice($"f{j}", rng.NextDouble() * 10, rng.NextDouble()))
            .ToArray())).ToArray();
    }

    /// <summary>Realistic sizes: parameter counts log-uniform in [1e3, 1e7], cost = bytes at {2, 4, 8, 32} bits, loss =
    /// s·4^−(b−2) for int formats with s log-uniform in [1e-3, 1e-1] and ±30 % noise (1e-1 down to ~1e-7), 0 for float.</summary>
    internal static AllocationLayer[] RealisticInstance(int layers, int seed)
    {
        var rng = new Random(seed);
        int[] bits = [2, 4, 8, 32];
        return Enumerable.Range(0, layers).Select(i =>
        {
            double parameters = Math.Round(Math.Pow(10, 3 + 4 * rng.NextDouble())), s = Math.Pow(10, -3 + 2 * rng.NextDouble());
            return new AllocationLayer($"layer{i}", bits.Select(b => new LayerChoice(b == 32 ? "float" : $"int{b}", parameters * b / 8,
                b == 32 ? 0 : s * Math.Pow(4, -(b - 2)) * (0.7 + 0.6 * rng.NextDouble()))).ToArray());
        }).ToArray();
    }

    private static double MaxCost(IReadOnlyList<AllocationLayer> layers) => layers.Sum(l => l.Choices.Max(c => c.Cost));

    [Fact]
    public void Exact_MatchesBruteForce_OnRandomSmallInstances()
    {
        var rng = new Random(20240611);
        for (int t = 0; t < 400; t++)
        {
            var layers = SmallInstance(rng);
            double min = BitAllocation.MinCost(layers), max = MaxCost(layers);
            // a quarter of the budgets sit exactly on some assignment's cost, including the cheapest and the dearest
            double budget = (t % 4) switch
            {
                0 => min,
                1 => max,
                2 => layers.Sum(l => l.Choices[rng.Next(l.Choices.Count)].Cost),
                _ => min + (max - min) * rng.NextDouble(),
            };
            var exact = BitAllocation.Exact(layers, budget);
            AssertConsistent(layers, exact, budget);
            Assert.True(exact.Optimal);
            var (loss, _) = BruteForce(layers, budget);
            Assert.True(Math.Abs(exact.Loss - loss) <= Tolerance(layers), $"instance {t}: exact {exact.Loss}, brute force {loss}");
        }
    }

    [Fact]
    public void Greedy_MeetsBudget_AndNeverBeatsExact()
    {
        var rng = new Random(7);
        for (int t = 0; t < 300; t++)
        {
            var layers = SmallInstance(rng);
            double min = BitAllocation.MinCost(layers), budget = min + (MaxCost(layers) - min) * rng.NextDouble();
            var greedy = BitAllocation.Greedy(layers, budget);
            AssertConsistent(layers, greedy, budget);
            Assert.False(greedy.Optimal);
            Assert.True(greedy.Loss >= BitAllocation.Exact(layers, budget).Loss - Tolerance(layers));
        }
    }

    [Fact]
    public void Greedy_HandMadeTrap_StrictlyWorseThanExact()
    {
        // Greedy takes b's upgrade first (rate (5 − 3)/1 = 2 > a's 10/10 = 1): cost 1, then a's upgrade (+10) overflows
        // budget 10, leaving loss 10 + 3 = 13. Optimum: a upgraded, b cheap, cost 10, loss 0 + 5 = 5.
        AllocationLayer[] layers =
        [
            new("a", [new("int2", 0, 10), new("int8", 10, 0)]),
            new("b", [new("int2", 0, 5), new("int4", 1, 3)]),
        ];
        var greedy = BitAllocation.Greedy(layers, 10);
        var exact = BitAllocation.Exact(layers, 10);
        Assert.Equal([0, 1], greedy.Choice);
        Assert.Equal(13, greedy.Loss);
        Assert.Equal([1, 0], exact.Choice);
        Assert.Equal(5, exact.Loss);
        Assert.Equal(10, exact.Cost);
        Assert.True(exact.Optimal);
    }

    [Fact]
    public void Exact_Realistic150x4_ProvenOptimalWithinBudget()
    {
        var layers = RealisticInstance(150, 42);
        double min = BitAllocation.MinCost(layers), budget = min + 0.1 * (MaxCost(layers) - min);
        var exact = BitAllocation.Exact(layers, budget);
        Assert.True(exact.Optimal, $"not proven optimal after {exact.NodesExplored} nodes");
        AssertConsistent(layers, exact, budget);
        // this seed's greedy answer is ~2 % worse: the search must find the better assignment, not just certify the seed
        Assert.True(exact.Loss < BitAllocation.Greedy(layers, budget).Loss * (1 - 1e-3));
    }

    [Fact]
    public void Exact_IdenticalLayersOddBudget_ProvenOptimalByDominance()
    {
        // 40 layers (cost 0, loss 1) or (cost 2, loss 0), budget 41: every rate ties and the LP bound 19.5 is never
        // attained (odd room), so a depth-first search needs ~C(40, 20) nodes to prove 20; equal-cost partial
        // assignments dominate each other, leaving ≤ 41 states per level.
        var layers = Enumerable.Range(0, 40).Select(i => new AllocationLayer($"n{i}", [new("int2", 0, 1), new("int8", 2, 0)])).ToArray();
        var a = BitAllocation.Exact(layers, 41);
        Assert.True(a.Optimal);
        Assert.Equal(20, a.Loss);
        Assert.InRange(a.NodesExplored, 1, 40 * 41);
    }

    /// <summary>Subset sum in disguise: layer i is (cost 0, loss w_i) or (cost w_i, loss 0) with distinct random w_i ≈ 2^40,
    /// budget Σw/2. Every rate is 1, so every partial assignment has the same LP bound and none dominates another: the
    /// states double per layer until an exact subset sum (practically never) closes the gap.</summary>
    private static AllocationLayer[] SubsetSumInstance()
    {
        var rng = new Random(5);
        var w = Enumerable.Range(0, 40).Select(_ => (double)(1L << 40) + rng.NextInt64(1L << 40)).ToArray();
        return w.Select((wi, i) => new AllocationLayer($"n{i}", [new("int2", 0, wi), new("int8", wi, 0)])).ToArray();
    }

    [Fact]
    public void Exact_NodeLimitReached_ReturnsFeasibleUnprovenAllocation()
    {
        var layers = SubsetSumInstance();
        double budget = layers.Sum(l => l.Choices[1].Cost) / 2;
        var a = BitAllocation.Exact(layers, budget, nodeLimit: 1000);
        Assert.False(a.Optimal);
        Assert.Equal(1000, a.NodesExplored);
        AssertConsistent(layers, a, budget);
        Assert.True(a.Loss <= BitAllocation.Greedy(layers, budget).Loss);
    }

    [Fact]
    public void Exact_CancelledToken_Throws()
    {
        var layers = SubsetSumInstance();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => BitAllocation.Exact(layers, layers.Sum(l => l.Choices[1].Cost) / 2, cancel: cts.Token));
    }

    [Fact]
    public void Exact_BudgetBelowMinCost_ThrowsUsage()
    {
        AllocationLayer[] layers = [new("conv1", [new("int4", 4, 1), new("int8", 8, 0)]), new("fc", [new("int4", 6, 1)])];
        var e = Assert.Throws<LowBitException>(() => BitAllocation.Exact(layers, 9.5));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("below the smallest reachable cost 10", e.Message);
        Assert.Equal(ErrorKind.Usage, Assert.Throws<LowBitException>(() => BitAllocation.Greedy(layers, 9.5)).Kind);
        Assert.Equal([0, 0], BitAllocation.Exact(layers, 10).Choice);   // exactly the minimum is feasible
    }

    [Fact]
    public void Records_InvalidInput_ThrowUsage()
    {
        var e = Assert.Throws<LowBitException>(() => new AllocationLayer("conv1", []));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("conv1", e.Message);
        Assert.Equal(ErrorKind.Usage, Assert.Throws<LowBitException>(() => new LayerChoice("int4", -1, 0)).Kind);
        Assert.Equal(ErrorKind.Usage, Assert.Throws<LowBitException>(() => new LayerChoice("int4", double.NaN, 0)).Kind);
        Assert.Equal(ErrorKind.Usage, Assert.Throws<LowBitException>(() => new LayerChoice("int4", 1, double.PositiveInfinity)).Kind);
        Assert.Equal(ErrorKind.Usage, Assert.Throws<LowBitException>(() => BitAllocation.ParetoFront([new("a", [new("int4", 1, 0)])], 1)).Kind);
    }

    [Fact]
    public void ParetoFront_RandomInstances_MonotoneAndEachPointOptimalAtItsCost()
    {
        var rng = new Random(99);
        for (int t = 0; t < 40; t++)
        {
            var layers = SmallInstance(rng);
            var front = BitAllocation.ParetoFront(layers, 17);
            double tol = Tolerance(layers);
            Assert.Equal(BitAllocation.MinCost(layers), front[0].Cost);
            Assert.True(Math.Abs(front[0].Loss - BruteForce(layers, front[0].Cost).Loss) <= tol);
            Assert.True(Math.Abs(front[^1].Loss - layers.Sum(l => l.Choices.Min(c => c.Loss))) <= tol);
            for (int k = 0; k < front.Count; k++)
            {
                Assert.True(front[k].Optimal);
                AssertConsistent(layers, front[k], front[k].Cost);
                Assert.True(Math.Abs(front[k].Loss - BruteForce(layers, front[k].Cost).Loss) <= tol);
                if (k == 0) continue;
                Assert.True(front[k].Cost > front[k - 1].Cost);
                Assert.True(front[k].Loss < front[k - 1].Loss);
            }
        }
    }
}
