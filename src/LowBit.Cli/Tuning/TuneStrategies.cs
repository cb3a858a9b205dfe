namespace LowBit.Cli.Tuning;

/// <summary>A search strategy: given the trials so far (config, top-1 in order), the next config to try, or null when it
/// has nothing left. Strategies are deterministic for a seed, so a resumed run asks for the same trials again and finds
/// the finished ones in the log.</summary>
internal interface ITuneStrategy
{
    string Name { get; }
    TuneConfig? Next(IReadOnlyList<(TuneConfig Config, double Top1)> done);
}

/// <summary>Configs in a fixed order, skipping those tried.</summary>
internal abstract class OrderedStrategy(string name, IReadOnlyList<TuneConfig> order) : ITuneStrategy
{
    public string Name => name;

    public TuneConfig? Next(IReadOnlyList<(TuneConfig Config, double Top1)> done)
    {
        var tried = done.Select(d => d.Config).ToHashSet();
        return order.FirstOrDefault(c => !tried.Contains(c));
    }
}

/// <summary>The grid in its fixed enumeration order (<see cref="TuneSpace.Grid"/>).</summary>
internal sealed class GridStrategy(IReadOnlyList<TuneConfig> grid) : OrderedStrategy("grid", grid);

/// <summary>The grid in a seeded random order (sampling without replacement).</summary>
internal sealed class RandomStrategy(IReadOnlyList<TuneConfig> grid, int seed) : OrderedStrategy("random", Shuffled(grid, seed))
{
    public static IReadOnlyList<TuneConfig> Shuffled(IReadOnlyList<TuneConfig> grid, int seed)
    {
        var a = grid.ToArray();
        new Random(seed).Shuffle(a);
        return a;
    }
}

/// <summary>
/// Model-based search (Quantune, Lee et al. 2022, uses gradient-boosted trees the same way): <see cref="WarmUp"/> trials in
/// the seeded random order, then each next trial is the untried config with the highest upper bound
/// <c>μ(x) + κ·σ(x)</c>, where μ and σ are the mean and spread of the predicted top-1 over an ensemble of
/// <see cref="CostModel"/> fits on bootstrap resamples of the trials so far (κ = <see cref="Kappa"/>). The spread is the
/// exploration term: configs unlike anything measured disagree across the ensemble. Ties go to the random order.
/// </summary>
internal sealed class ModelStrategy(TuneSpace space, IReadOnlyList<TuneConfig> grid, int seed) : ITuneStrategy
{
    public const int Ensemble = 4;
    public const double Kappa = 1.0;

    private readonly IReadOnlyList<TuneConfig> order = RandomStrategy.Shuffled(grid, seed);

    public string Name => "model";

    /// <summary>Random trials before the first fit: enough to see every dimension vary, at most a tenth of the grid.</summary>
    public int WarmUp => Math.Clamp(grid.Count / 10, 3, 8);

    public TuneConfig? Next(IReadOnlyList<(TuneConfig Config, double Top1)> done)
    {
        var tried = done.Select(d => d.Config).ToHashSet();
        var untried = order.Where(c => !tried.Contains(c)).ToList();
        if (untried.Count == 0) return null;
        if (done.Count < WarmUp || done.Select(d => d.Top1).Distinct().Count() < 2) return untried[0];
        var x = done.Select(d => space.Features(d.Config)).ToArray();
        var y = done.Select(d => (float)d.Top1).ToArray();
        var candidates = untried.Select(space.Features).ToArray();
        // Not HashCode.Combine: it is salted per process, and a resumed run must propose the same trials.
        var rng = new Random(unchecked(seed * 1_000_003 + done.Count));
        var predictions = new double[Ensemble][];
        for (int m = 0; m < Ensemble; m++)
        {
            // Bootstrap resample (the first model sees every trial once).
            var rows = m == 0 ? Enumerable.Range(0, x.Length).ToArray() : Enumerable.Range(0, x.Length).Select(_ => rng.Next(x.Length)).ToArray();
            predictions[m] = CostModel.FitPredict(rows.Select(i => x[i]).ToArray(), rows.Select(i => y[i]).ToArray(), candidates, seed + m);
        }
        int best = 0;
        double bestScore = double.NegativeInfinity;
        for (int c = 0; c < candidates.Length; c++)
        {
            double mean = 0, sq = 0;
            for (int m = 0; m < Ensemble; m++) mean += predictions[m][c];
            mean /= Ensemble;
            for (int m = 0; m < Ensemble; m++) sq += (predictions[m][c] - mean) * (predictions[m][c] - mean);
            double score = mean + Kappa * Math.Sqrt(sq / Ensemble);
            if (score > bestScore + 1e-12) (best, bestScore) = (c, score);
        }
        return untried[best];
    }
}

/// <summary>Runs a strategy for up to <paramref name="budget"/> trials, each judged by <paramref name="evaluate"/>.</summary>
internal static class TuneLoop
{
    public static List<(TuneConfig Config, double Top1)> Run(ITuneStrategy strategy, int budget, Func<TuneConfig, double> evaluate,
        Func<IReadOnlyList<(TuneConfig Config, double Top1)>, bool>? stop = null, CancellationToken cancel = default)
    {
        var done = new List<(TuneConfig, double)>();
        while (done.Count < budget && !(stop?.Invoke(done) ?? false))
        {
            cancel.ThrowIfCancellationRequested();
            if (strategy.Next(done) is not TuneConfig next) break;
            if (done.Any(d => d.Item1.Equals(next))) throw new InvalidOperationException($"{strategy.Name} proposed {next.Key} twice");
            done.Add((next, evaluate(next)));
        }
        return done;
    }
}
