using LowBit.Formats;

namespace LowBit.Quantization.Observers;

/// <summary>
/// The clipping range minimizing the expected quantization MSE for the target format and scheme, computed from a
/// 2048-bin streaming histogram (<see cref="HistogramMse"/>) over candidates [α·lo, α·hi], lo = min(min, 0),
/// hi = max(max, 0) (<see cref="ClipSearch"/>, α ≥ 1/1024: the histogram resolves nothing finer). Balances clipping
/// error against rounding error; for Gaussian data the optimum is ≈ 3.92σ at 8 bits and 2.54σ at 4 bits, for Laplace(b)
/// 9.89b and 4.96b (Banner et al. 2019, "Post training 4-bit quantization of convolutional networks for
/// rapid-deployment", ACIQ; the exact-integral values for this quantizer agree to 1 %).
/// </summary>
internal sealed class MseObserver : IObserver
{
    private readonly INumberFormat format;
    private readonly QuantScheme scheme;
    private readonly Histogram histogram;
    private RangeStats stats = new();

    public MseObserver(INumberFormat format, QuantScheme scheme, int bins = 2048)
    {
        this.format = format;
        this.scheme = scheme;
        histogram = new Histogram(bins);
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
        if (stats.Count == 0 || !histogram.HasRange)
        {
            var (mn, mx) = stats.RangeOrZero;
            return new ObservedRange(mn, mx, stats.Count, warnings);
        }
        double lo = Math.Min(stats.Min, 0), hi = Math.Max(stats.Max, 0);
        double alpha = ClipSearch.Minimize(a =>
        {
            var (s, z) = Affine.ChooseOne(format, scheme, a * lo, a * hi);
            return HistogramMse.Expected(histogram, format, s, z);
        }, 1.0 / 1024);
        return new ObservedRange((float)(alpha * lo), (float)(alpha * hi), stats.Count, warnings);
    }
}
