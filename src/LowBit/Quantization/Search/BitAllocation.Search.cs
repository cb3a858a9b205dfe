namespace LowBit.Quantization.Search;

internal static partial class BitAllocation
{
    /// <summary>
    /// Breadth-first branch and bound with dominance over the search positions of <see cref="Relaxation"/>. Level p holds
    /// partial assignments of positions &lt; p as states (c, l) with c ↑ and l strictly ↓: a child (c', l') is dropped when a
    /// cheaper-or-equal child has l ≤ l', since every completion of it completes that one no worse (list merging of
    /// Nemhauser &amp; Ullmann 1969, as in Pisinger's 1995 minimal MCKP algorithm). Without it, depth-first search revisits
    /// the near-ties of many small layers combinatorially: a depth-first version with the same bound left 2 of 4 seeded
    /// 150×4 instances (RealisticInstance in the tests, budget at 10 % of the range) unproven after 20M nodes; this
    /// search proves them with under 300 states. Memory: one Trail (~60 bytes with its State) per kept state.
    /// A child is also cut when c + (cheapest rest) > cap or when l + LP(p + 1, cap − c) ≥ best − 1e-12·|best|. The LP's
    /// rounded-down assignment raises the incumbent; a child whose LP has no fractional segment is solved on the spot.
    /// The relaxation is built once per problem and reused across budgets (ParetoFront).
    /// </summary>
    private sealed class BranchAndBound
    {
        private const int CancelCheckMask = 4095;

        /// <summary>A state's choices, newest position first: a shared persistent list.</summary>
        private sealed record Trail(int Kept, Trail? Parent);
        private readonly record struct State(double Cost, double Loss, Trail? Trail);

        private readonly IReadOnlyList<AllocationLayer> layers;
        private readonly Relaxation lp;
        private readonly int n;
        private int[] best = [];
        private double bestLoss;

        public BranchAndBound(IReadOnlyList<AllocationLayer> layers) => (this.layers, lp, n) = (layers, new Relaxation(layers), layers.Count);

        private double Threshold => bestLoss - RelativeGap * Math.Abs(bestLoss);

        /// <summary>The optimum at <paramref name="budget"/>, starting from the incumbent <paramref name="seed"/> (which must
        /// fit). Stops with Optimal = false once <paramref name="nodeLimit"/> states were kept.</summary>
        public Allocation Solve(double budget, Allocation seed, long nodeLimit, CancellationToken cancel)
        {
            CheckBudget(layers, budget);
            double cap = Ceiling(budget);
            (best, bestLoss) = (seed.Choice.ToArray(), seed.Loss);
            long nodes = 0, children = 0;
            bool stopped = false;
            var level = new List<State> { new(0, 0, null) };
            var next = new List<State>();
            var heads = new int[lp.Index.Length == 0 ? 0 : lp.Index.Max(k => k.Length)];
            for (int p = 0; p < n && level.Count > 0 && !stopped; p++)
            {
                var (cost, loss, rest) = (lp.Cost[p], lp.Loss[p], lp.MinCostFrom[p + 1]);
                lp.Focus(p + 1);
                Array.Clear(heads);
                double minLoss = double.PositiveInfinity;
                next.Clear();
                while (true)
                {
                    // k-way merge of the child lists "level + choice k", each cost ↑: cheapest head first, ties lower loss
                    int k = -1;
                    double c = 0, l = 0;
                    for (int j = 0; j < cost.Length; j++)
                    {
                        if (heads[j] == level.Count) continue;
                        var s = level[heads[j]];
                        if (k < 0 || s.Cost + cost[j] < c || (s.Cost + cost[j] == c && s.Loss + loss[j] < l)) (k, c, l) = (j, s.Cost + cost[j], s.Loss + loss[j]);
                    }
                    if (k < 0 || c + rest > cap) break;   // every later child costs at least c
                    var parent = level[heads[k]++];
                    if ((++children & CancelCheckMask) == 0) cancel.ThrowIfCancellationRequested();
                    if (!(l < minLoss)) continue;   // dominated by a cheaper child
                    minLoss = l;
                    var (bound, rounded, taken) = lp.Relax(cap - c);
                    if (!(l + bound < Threshold)) continue;
                    var trail = new Trail(k, parent.Trail);
                    if (l + rounded < Threshold) Record(trail, p + 1, taken, l + rounded);
                    if (rounded == bound || !(l + bound < Threshold)) continue;   // solved, or cut by the new incumbent
                    if (nodes == nodeLimit) { stopped = true; break; }
                    nodes++;
                    next.Add(new State(c, l, trail));
                }
                (level, next) = (next, level);
            }
            return Assemble(layers, best, optimal: !stopped, nodes);
        }

        /// <summary>New incumbent of loss <paramref name="loss"/>: positions &lt; p from the trail, the rest from the LP's
        /// rounded-down assignment of suffix p.</summary>
        private void Record(Trail trail, int p, int taken, double loss)
        {
            var kept = new int[n];
            lp.Complete(taken, kept);   // positions ≥ p: the focused suffix
            for (int q = p - 1; q >= 0; q--, trail = trail.Parent!) kept[q] = trail.Kept;
            best = new int[n];
            for (int q = 0; q < n; q++) best[lp.Layer[q]] = lp.Index[q][kept[q]];
            bestLoss = loss;
        }
    }
}
