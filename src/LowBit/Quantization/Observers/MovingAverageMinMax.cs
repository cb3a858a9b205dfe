namespace LowBit.Quantization.Observers;

/// <summary>
/// Exponential moving average of per-batch minima and maxima: m ← m + c·(m_batch − m), started at the first batch's
/// values (as PyTorch's MovingAverageMinMaxObserver, c = 0.01 by default). Each <see cref="Observe"/> call is one batch.
/// Damps rare outlier batches that <see cref="MinMaxObserver"/> would keep forever.
/// </summary>
internal sealed class MovingAverageMinMaxObserver : IObserver
{
    private readonly double momentum;
    private RangeStats stats = new();
    private double min, max;
    private long batches;

    public MovingAverageMinMaxObserver(double momentum = 0.01)
    {
        if (!(momentum > 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in (0, 1]");
        this.momentum = momentum;
    }

    public long Count => stats.Count;

    public void Observe(ReadOnlySpan<float> values)
    {
        var (bmin, bmax, finite) = RangeStats.Of(values);
        stats.Add(values);
        if (finite == 0) return;
        if (batches++ == 0) (min, max) = (bmin, bmax);
        else
        {
            min += momentum * (bmin - min);
            max += momentum * (bmax - max);
        }
    }

    public ObservedRange Compute() =>
        new(batches == 0 ? 0 : (float)min, batches == 0 ? 0 : (float)max, stats.Count, stats.BaseWarnings());
}
