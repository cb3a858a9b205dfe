namespace LowBit.Quantization.Observers;

/// <summary>The exact minimum and maximum over everything observed. Streaming in any chunking equals observing all at
/// once. Sensitive to outliers: one large activation widens the scale for every value.</summary>
internal sealed class MinMaxObserver : IObserver
{
    private RangeStats stats = new();

    public long Count => stats.Count;

    public void Observe(ReadOnlySpan<float> values) => stats.Add(values);

    public ObservedRange Compute()
    {
        var (min, max) = stats.RangeOrZero;
        return new ObservedRange(min, max, stats.Count, stats.BaseWarnings());
    }
}
