namespace LowBit.Cli.Tuning;

/// <summary>How many trials one strategy needed to reach the grid's best top-1 (exactly, and within the tolerance), per seed.</summary>
internal sealed record StrategyScore(string Strategy, IReadOnlyList<int> ToBest, IReadOnlyList<int> ToNearBest, double MeanToBest, double MeanToNearBest,
    double FractionOfGrid);

/// <summary>The comparison of <c>lowbit tune --strategy compare</c>: the whole grid measured once, then every strategy
/// replayed over those results (trials are deterministic, so a replay is the run it stands for).</summary>
internal sealed record TuneComparison(int GridSize, double BestTop1, int BestConfigs, double Tolerance, IReadOnlyList<int> Seeds,
    IReadOnlyList<StrategyScore> Strategies);

internal static class TuneCompare
{
    public static TuneComparison Run(TuneSpace space, IReadOnlyDictionary<TuneConfig, double> table, IReadOnlyList<int> seeds, double tolerancePoints,
        CancellationToken cancel = default, IProgress<(string Strategy, int Seed)>? progress = null)
    {
        var grid = space.Grid();
        double best = grid.Max(c => table[c]);
        double near = best - tolerancePoints / 100;
        int bestCount = grid.Count(c => table[c] >= best);
        StrategyScore Score(string name, Func<int, ITuneStrategy> make)
        {
            var toBest = new List<int>();
            var toNear = new List<int>();
            foreach (int seed in seeds)
            {
                progress?.Report((name, seed));
                var run = TuneLoop.Run(make(seed), grid.Count, c => table[c], done => done.Count > 0 && done[^1].Top1 >= best, cancel);
                toBest.Add(run.Count);
                toNear.Add(run.FindIndex(r => r.Top1 >= near - 1e-12) + 1);
            }
            return new StrategyScore(name, toBest, toNear, Math.Round(toBest.Average(), 2), Math.Round(toNear.Average(), 2), Math.Round(toBest.Average() / grid.Count, 3));
        }
        var strategies = new List<StrategyScore>
        {
            Score("grid", _ => new GridStrategy(grid)),
            Score("random", s => new RandomStrategy(grid, s)),
            Score("model", s => new ModelStrategy(space, grid, s)),
        };
        return new TuneComparison(grid.Count, best, bestCount, tolerancePoints, seeds, strategies);
    }
}
