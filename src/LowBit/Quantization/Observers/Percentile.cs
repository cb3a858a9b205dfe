namespace LowBit.Quantization.Observers;

/// <summary>Which tails a percentile clips.</summary>
public enum PercentileTails
{
    /// <summary>Percentile p of |x|: range [−T, T] ∩ [min, max].</summary>
    Magnitude,
    /// <summary>Percentiles (100 − p) and p of x: each tail clipped on its own.</summary>
    Both,
}

/// <summary>
/// Clips at a percentile of the observed distribution, read from a streaming <see cref="Histogram"/> (2048 bins, exact to
/// one bin width). A percentile p needs about 10 values beyond it, i.e. 10 / (1 − p/100) observed values (10⁵ for 99.99),
/// or it is only the sample maximum; fewer give a warning.
/// </summary>
internal sealed class PercentileObserver : IObserver
{
    /// <summary>Values wanted in the clipped tail for a percentile to be an estimate rather than the sample extreme.</summary>
    public const int TailSamples = 10;

    private readonly double percentile;
    private readonly PercentileTails tails;
    private readonly Histogram histogram;
    private RangeStats stats = new();

    public PercentileObserver(double percentile = 99.99, PercentileTails tails = PercentileTails.Magnitude, int bins = 2048)
    {
        if (!(percentile > 50 && percentile <= 100)) throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "percentile must be in (50, 100]");
        this.percentile = percentile;
        this.tails = tails;
        histogram = new Histogram(bins, magnitude: tails == PercentileTails.Magnitude);
    }

    public long Count => stats.Count;
    internal Histogram Histogram => histogram;

    public void Observe(ReadOnlySpan<float> values)
    {
        stats.Add(values);
        histogram.Add(values);
    }

    public ObservedRange Compute()
    {
        var warnings = stats.BaseWarnings();
        if (stats.Count == 0) return new ObservedRange(0, 0, 0, warnings);
        double p = percentile / 100, need = Math.Ceiling(TailSamples / (1 - p));
        if (percentile < 100 && stats.Count < need)
            warnings.Add($"percentile {percentile} needs about {need:0} values ({TailSamples} beyond it) to mean anything; only {stats.Count} were observed");
        float min, max;
        if (tails == PercentileTails.Magnitude)
        {
            double t = histogram.Quantile(p);
            (min, max) = (Math.Max(stats.Min, (float)-t), Math.Min(stats.Max, (float)t));
        }
        else
        {
            (min, max) = ((float)histogram.Quantile(1 - p), (float)histogram.Quantile(p));
            (min, max) = (Math.Max(min, stats.Min), Math.Min(max, stats.Max));
        }
        return new ObservedRange(min, max, stats.Count, warnings);
    }
}
