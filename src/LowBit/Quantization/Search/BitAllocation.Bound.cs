namespace LowBit.Quantization.Search;

internal static partial class BitAllocation
{
    /// <summary>
    /// The layers in search order (position p = 0..n−1) with their undominated choices, and the LP relaxation of the
    /// multiple-choice knapsack over every suffix p..n−1. Order: cost span (dearest − cheapest choice) ↓, then loss spread
    /// ↓, stable. Dominance merges states of equal cost, so deciding the coarse (large) layers first and letting the fine
    /// ones fill the remaining room keeps the state lists short: on the 150- and 300-layer test-style instances this kept
    /// 30–2,000 states where loss-spread order kept up to 240,000 (same optima).
    /// Undominated: sorted by (cost, loss), a choice is kept iff its loss is strictly below every cheaper kept one, so kept
    /// costs rise and losses fall strictly; a dominated choice is never needed for an optimum.
    /// LP (Sinha &amp; Zoltners 1979): with x_i ∈ conv(choices of layer i), the optimum starts every layer at its cheapest
    /// point and spends the room R − Σ min cost on the lower-convex-hull segments of all layers in order of decreasing
    /// rate ΔL/ΔC, the last one fractionally. Hull rates of one layer strictly decrease, so the global order takes each
    /// layer's segments in turn. One suffix is in focus at a time (the search goes level by level): its prefix tables are
    /// rebuilt in O(S) per level, S = Σ hull segments, so memory stays O(n + S).
    /// </summary>
    private sealed class Relaxation
    {
        /// <summary>Layer[p]: the caller's index of the layer at search position p.</summary>
        public readonly int[] Layer;
        /// <summary>Index[p][k]: the caller's choice index of the k-th undominated choice; Cost/Loss[p][k] its values.</summary>
        public readonly int[][] Index;
        public readonly double[][] Cost, Loss;
        /// <summary>Suffix sums from p (length n + 1): Σ cheapest cost (MinCostFrom) and Σ its loss (baseLoss).</summary>
        public readonly double[] MinCostFrom;
        private readonly double[] baseLoss;
        /// <summary>Hull[p]: indices into the kept choices of position p of its lower-convex-hull points, cost ↑.</summary>
        public readonly int[][] Hull;
        /// <summary>Every layer's hull segments (position, ΔC > 0, ΔL > 0, rate ΔL/ΔC), rate ↓.</summary>
        private readonly (int P, double DC, double DL, double Rate)[] segments;
        /// <summary>The focused suffix's segments in rate order: prefix Σ ΔC and Σ ΔL ([0] = 0, length m + 1), rate and position of segment k.</summary>
        private readonly double[] cumCost, cumGain, rate;
        private readonly int[] segmentLayer;
        private int focus = -1, count;

        public Relaxation(IReadOnlyList<AllocationLayer> layers)
        {
            int n = layers.Count;
            var kept = new int[n][];
            for (int i = 0; i < n; i++) kept[i] = Undominated(layers[i].Choices);
            // cost span (dearest − cheapest kept) ↓, then loss spread ↓: see the class comment
            Layer = Enumerable.Range(0, n)
                .OrderByDescending(i => layers[i].Choices[kept[i][^1]].Cost - layers[i].Choices[kept[i][0]].Cost)
                .ThenByDescending(i => layers[i].Choices[kept[i][0]].Loss - layers[i].Choices[kept[i][^1]].Loss).ToArray();
            Index = new int[n][];
            Cost = new double[n][];
            Loss = new double[n][];
            Hull = new int[n][];
            var list = new List<(int P, double DC, double DL, double Rate)>();
            for (int p = 0; p < n; p++)
            {
                var choices = layers[Layer[p]].Choices;
                Index[p] = kept[Layer[p]];
                Cost[p] = Index[p].Select(j => choices[j].Cost).ToArray();
                Loss[p] = Index[p].Select(j => choices[j].Loss).ToArray();
                var hull = LowerHull(Cost[p], Loss[p]);
                Hull[p] = hull.ToArray();
                for (int s = 1; s < hull.Count; s++)
                {
                    int a = hull[s - 1], b = hull[s];
                    list.Add((p, Cost[p][b] - Cost[p][a], Loss[p][a] - Loss[p][b], Rate(Cost[p], Loss[p], a, b)));
                }
            }
            segments = list.OrderByDescending(s => s.Rate).ToArray();   // stable: one layer's segments keep their order
            (cumCost, cumGain, rate, segmentLayer) = (new double[segments.Length + 1], new double[segments.Length + 1], new double[segments.Length], new int[segments.Length]);
            MinCostFrom = new double[n + 1];
            baseLoss = new double[n + 1];
            for (int p = n - 1; p >= 0; p--)
            {
                MinCostFrom[p] = MinCostFrom[p + 1] + Cost[p][0];
                baseLoss[p] = baseLoss[p + 1] + Loss[p][0];
            }
        }

        /// <summary>Makes suffix p (positions p..n−1) the one <see cref="Relax"/> and <see cref="Complete"/> refer to.</summary>
        public void Focus(int p)
        {
            if (p == focus) return;
            int m = 0;
            foreach (var seg in segments)
            {
                if (seg.P < p) continue;
                cumCost[m + 1] = cumCost[m] + seg.DC;
                cumGain[m + 1] = cumGain[m] + seg.DL;
                (rate[m], segmentLayer[m]) = (seg.Rate, seg.P);
                m++;
            }
            (focus, count) = (p, m);
        }

        /// <summary>LP(focus, room): lower bound on Σ loss of the focused positions with Σ cost ≤ room, +∞ when room &lt;
        /// Σ cheapest cost. Taken: the segments applied whole (a prefix of the rate order); Rounded = base − Σ their ΔL is
        /// the loss of that integral assignment (the fractional segment dropped), which fits: an upper bound on the suffix
        /// optimum. Bound == Rounded (no fractional part, e.g. every segment fits) means the suffix is solved.</summary>
        public (double Bound, double Rounded, int Taken) Relax(double room)
        {
            double spare = room - MinCostFrom[focus];
            if (spare < 0) return (double.PositiveInfinity, double.PositiveInfinity, 0);
            int lo = 0, hi = count + 1;   // invariant: cumCost[lo] ≤ spare < cumCost[hi] (cumCost[count + 1] = +∞)
            while (hi - lo > 1)
            {
                int mid = (lo + hi) >>> 1;
                if (cumCost[mid] <= spare) lo = mid; else hi = mid;
            }
            double rounded = baseLoss[focus] - cumGain[lo];
            double part = spare - cumCost[lo];   // 0 ≤ part < ΔC of segment lo; the guard keeps 0·∞ (a near-zero ΔC) out
            return (lo == count || part == 0 ? rounded : rounded - part * rate[lo], rounded, lo);
        }

        /// <summary>The integral assignment behind <see cref="Relax"/>'s Rounded: kept[q] for q ≥ focus is the hull point
        /// reached by layer q's segments among the first <paramref name="taken"/> in rate order.</summary>
        public void Complete(int taken, int[] kept)
        {
            var steps = new int[kept.Length];
            for (int q = focus; q < kept.Length; q++) kept[q] = Hull[q][0];
            for (int k = 0; k < taken; k++)
            {
                int q = segmentLayer[k];
                kept[q] = Hull[q][++steps[q]];
            }
        }

        private static int[] Undominated(IReadOnlyList<LayerChoice> choices)
        {
            var kept = new List<int>();
            foreach (int j in Enumerable.Range(0, choices.Count).OrderBy(j => choices[j].Cost).ThenBy(j => choices[j].Loss))
                if (kept.Count == 0 || choices[j].Loss < choices[kept[^1]].Loss) kept.Add(j);
            return kept.ToArray();
        }

        private static double Rate(double[] cost, double[] loss, int a, int b) => (loss[a] - loss[b]) / (cost[b] - cost[a]);

        /// <summary>Lower convex hull of points with strictly rising cost and falling loss: b between a and c stays iff
        /// rate(a, b) > rate(b, c), the same quotients the segment order uses, so hull rates strictly decrease.</summary>
        private static List<int> LowerHull(double[] cost, double[] loss)
        {
            var hull = new List<int>();
            for (int k = 0; k < cost.Length; k++)
            {
                while (hull.Count >= 2 && Rate(cost, loss, hull[^2], hull[^1]) <= Rate(cost, loss, hull[^1], k)) hull.RemoveAt(hull.Count - 1);
                hull.Add(k);
            }
            return hull;
        }
    }
}
