using System.Numerics.Tensors;

namespace LowBit.Quantization.Observers;

/// <summary>
/// A streaming histogram with a fixed number of equal bins over [Lo, Lo + BinCount·Width], the last bin closed.
/// When new values fall outside, the grid is rebuilt once with width k·Width (k the smallest integer that covers the new
/// span) starting m whole old bins further left; every old bin then lies inside one new bin (old bin b → new bin
/// ⌊(m + b)/k⌋), so merging loses no counts and adds no interpolation error (a value on the closed top edge stays in
/// the bin below it: at most one bin off). Memory never grows with the data; the range overshoots the data by less
/// than one old range (at most 2× right after a small overflow). <see cref="Magnitude"/> histograms count |x| on [0, ·).
/// Until two distinct values arrive no range is set (a constant stream keeps its exact value, see <see cref="Constant"/>).
/// NaN and ±Inf are skipped.
/// </summary>
internal sealed class Histogram
{
    private readonly long[] counts;
    private float pendingValue;
    private long pendingCount;

    public bool Magnitude { get; }
    public int BinCount => counts.Length;
    /// <summary>Lower edge of bin 0 (0 for magnitude histograms).</summary>
    public double Lo { get; private set; }
    public double Width { get; private set; }
    public double Hi => Lo + Width * counts.Length;
    /// <summary>Finite values added.</summary>
    public long Total { get; private set; }
    /// <summary>Whether bins are in use (false while every value so far was equal).</summary>
    public bool HasRange => Width > 0;
    /// <summary>The single value seen while no range is set.</summary>
    public float? Constant => !HasRange && pendingCount > 0 ? pendingValue : null;
    public ReadOnlySpan<long> Counts => counts;
    /// <summary>The bin array itself (tests check that it is never reallocated).</summary>
    internal long[] Storage => counts;

    public Histogram(int bins = 2048, bool magnitude = false)
    {
        if (bins < 2 || bins % 2 != 0) throw new ArgumentOutOfRangeException(nameof(bins), bins, "bin count must be even and ≥ 2");
        counts = new long[bins];
        Magnitude = magnitude;
    }

    public double BinLow(int i) => Lo + i * Width;
    public double BinCenter(int i) => Lo + (i + 0.5) * Width;

    public void Add(ReadOnlySpan<float> values)
    {
        var (mn, mx, finite) = RangeStats.Of(values);
        if (finite == 0) return;
        if (Magnitude) (mn, mx) = (0f, Math.Max(Math.Abs(mn), Math.Abs(mx)));
        if (!HasRange)
        {
            // Still degenerate if every value so far (pending ones included) is one value; magnitude ranges start at 0,
            // so only all-zero streams are degenerate there.
            bool constant = Magnitude ? mx == 0 : mn == mx && (pendingCount == 0 || pendingValue == mn);
            if (constant)
            {
                pendingValue = mx;
                pendingCount += finite;
                Total += finite;
                return;
            }
            float lo = mn, hi = mx;
            if (pendingCount > 0) (lo, hi) = (Math.Min(lo, pendingValue), Math.Max(hi, pendingValue));
            Lo = lo;
            Width = ((double)hi - lo) / counts.Length;
            if (pendingCount > 0) counts[Bin(pendingValue)] += pendingCount;
            pendingCount = 0;
        }
        if (mx > Hi || mn < Lo) Regrid(Math.Min(mn, Lo), Math.Max(mx, Hi));
        if (finite == values.Length) Bin(values);
        else
            foreach (float v in values)
                if (float.IsFinite(v)) counts[Bin(v)]++;
        Total += finite;
    }

    private int Bin(float v)
    {
        int i = (int)(((Magnitude ? Math.Abs(v) : v) - Lo) / Width);
        return Math.Clamp(i, 0, counts.Length - 1);
    }

    /// <summary>Counts finite values already inside the range. Bin indices ⌊(x − Lo)/Width⌋ are computed vectorized in
    /// float32 (a value within ~10⁻⁴ bin of an edge may land in the neighbouring bin), then clamped so the closed top
    /// edge falls in the last bin.</summary>
    private void Bin(ReadOnlySpan<float> values)
    {
        Span<float> f = stackalloc float[512];
        Span<int> idx = stackalloc int[512];
        float lo = (float)Lo, inv = (float)(1 / Width);
        if (!float.IsFinite(inv) || inv == 0)
        {
            foreach (float v in values) counts[Bin(v)]++;  // widths beyond float32's range: the double path
            return;
        }
        for (int start = 0; start < values.Length; start += f.Length)
        {
            int n = Math.Min(f.Length, values.Length - start);
            var x = values.Slice(start, n);
            var t = f[..n];
            if (Magnitude) TensorPrimitives.Abs(x, t);
            else x.CopyTo(t);
            TensorPrimitives.Subtract(t, lo, t);
            TensorPrimitives.Multiply(t, inv, t);
            var k = idx[..n];
            TensorPrimitives.ConvertToInteger<float, int>(t, k);
            TensorPrimitives.Min(k, counts.Length - 1, k);
            TensorPrimitives.Max(k, 0, k);
            foreach (int i in k) counts[i]++;
        }
    }

    /// <summary>Widens the grid to cover [newMin, newMax]: m old bins added on the left, width × k (see the class
    /// comment). m and k are doubles so extreme growth (1e−30 → 1e30) cannot overflow.</summary>
    private void Regrid(double newMin, double newMax)
    {
        int n = counts.Length;
        double w = Width;
        double m = newMin < Lo ? Math.Ceiling((Lo - newMin) / w) : 0, lo = Lo - m * w;
        double k = Math.Max(2, Math.Ceiling((newMax - lo) / (n * w)));
        while (lo + n * k * w < newMax) k = Math.Max(k + 1, Math.Ceiling(k * 1.000001));  // rounding guard; k + 1 == k past 2^53
        var merged = new long[n];  // scratch; growth events are rare (each multiplies the range by ≥ 2)
        for (int b = 0; b < n; b++)
            if (counts[b] != 0) merged[(int)Math.Min((m + b) / k, n - 1)] += counts[b];
        merged.CopyTo(counts, 0);
        Lo = lo;
        Width = k * w;
    }

    /// <summary>The value below which a fraction <paramref name="q"/> of the mass lies, interpolated linearly inside
    /// its bin (exact to within one bin width for any data).</summary>
    public double Quantile(double q)
    {
        if (Total == 0) throw new InvalidOperationException("the histogram is empty");
        if (q < 0 || q > 1 || double.IsNaN(q)) throw new ArgumentOutOfRangeException(nameof(q), q, "quantile must be in [0, 1]");
        if (Constant is float only) return Magnitude ? Math.Abs(only) : only;
        double target = q * Total, cum = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            long c = counts[i];
            if (c > 0 && cum + c >= target) return BinLow(i) + Width * Math.Clamp((target - cum) / c, 0, 1);
            cum += c;
        }
        return Hi;
    }
}
