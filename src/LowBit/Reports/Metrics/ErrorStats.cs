using System.Numerics.Tensors;

namespace LowBit.Reports.Metrics;

/// <summary>
/// Streaming error statistics of a test signal y against a reference x, fed chunk by chunk (memory is constant):
/// energies Σx², Σy², Σxy, Σ(x−y)² and max |x − y| over the finite pairs. Pairs where either value is NaN or ±Inf are
/// counted in <see cref="NonFinite"/> and left out of every sum.
/// <list type="bullet">
/// <item>SQNR = 10·log10(Σx² / Σ(x−y)²) dB (see <see cref="SqnrDb"/> for the degenerate cases).</item>
/// <item>cosine = Σxy / √(Σx²·Σy²) (see <see cref="CosineOf"/>).</item>
/// </list>
/// Sums are taken in float32 over chunks of <see cref="Chunk"/> values (vectorized) and accumulated in float64 across
/// chunks: the relative error of each energy stays below ~Chunk·2⁻²⁴ ≈ 2.4·10⁻⁴ (about 0.001 dB of SQNR).
/// </summary>
public sealed class ErrorStats
{
    internal const int Chunk = 4096;

    /// <summary>Finite pairs summed.</summary>
    public long Count { get; private set; }
    /// <summary>Pairs skipped because a value was NaN or ±Inf.</summary>
    public long NonFinite { get; private set; }
    /// <summary>Σx² (reference energy).</summary>
    public double SignalEnergy { get; private set; }
    /// <summary>Σy² (test energy).</summary>
    public double TestEnergy { get; private set; }
    /// <summary>Σxy.</summary>
    public double Cross { get; private set; }
    /// <summary>Σ(x−y)².</summary>
    public double NoiseEnergy { get; private set; }
    /// <summary>max |x − y| over finite pairs (0 when none).</summary>
    public double MaxAbsError { get; private set; }

    public double Sqnr => SqnrDb(SignalEnergy, NoiseEnergy);
    public double Cosine => CosineOf(Cross, SignalEnergy, TestEnergy);

    /// <summary>Adds pairs (reference[i], test[i]); the spans must have equal length.</summary>
    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> test)
    {
        if (reference.Length != test.Length)
            throw new ArgumentException($"reference has {reference.Length} values, test has {test.Length}");
        Span<float> diff = stackalloc float[Chunk];
        for (int start = 0; start < reference.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, reference.Length - start);
            var x = reference.Slice(start, n);
            var y = test.Slice(start, n);
            if (!TensorPrimitives.IsFiniteAll(x) || !TensorPrimitives.IsFiniteAll(y))
            {
                AddScalar(x, y);
                continue;
            }
            var d = diff[..n];
            TensorPrimitives.Subtract(x, y, d);
            SignalEnergy += TensorPrimitives.SumOfSquares(x);
            TestEnergy += TensorPrimitives.SumOfSquares(y);
            Cross += TensorPrimitives.Dot(x, y);
            NoiseEnergy += TensorPrimitives.SumOfSquares((ReadOnlySpan<float>)d);
            MaxAbsError = Math.Max(MaxAbsError, Math.Abs(TensorPrimitives.MaxMagnitude((ReadOnlySpan<float>)d)));
            Count += n;
        }
    }

    /// <summary>The slow path for chunks holding a non-finite value: float64 per element, skipping such pairs.</summary>
    private void AddScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double xx = 0, yy = 0, xy = 0, dd = 0, max = MaxAbsError;
        long count = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double a = x[i], b = y[i];
            if (!double.IsFinite(a) || !double.IsFinite(b)) { NonFinite++; continue; }
            double d = a - b;
            xx += a * a;
            yy += b * b;
            xy += a * b;
            dd += d * d;
            max = Math.Max(max, Math.Abs(d));
            count++;
        }
        SignalEnergy += xx;
        TestEnergy += yy;
        Cross += xy;
        NoiseEnergy += dd;
        MaxAbsError = max;
        Count += count;
    }

    /// <summary>Adds another accumulator's sums (for merging per-batch or per-thread statistics).</summary>
    public void Add(ErrorStats other)
    {
        Count += other.Count;
        NonFinite += other.NonFinite;
        SignalEnergy += other.SignalEnergy;
        TestEnergy += other.TestEnergy;
        Cross += other.Cross;
        NoiseEnergy += other.NoiseEnergy;
        MaxAbsError = Math.Max(MaxAbsError, other.MaxAbsError);
    }

    /// <summary>
    /// 10·log10(signal / noise) in dB. Degenerate cases: noise = 0 (test equals reference) gives +∞, also for an
    /// all-zero reference; signal = 0 with noise &gt; 0 gives −∞. Report writers keep ±∞ as the JSON strings
    /// "Infinity"/"-Infinity" and show "∞" in tables. NaN only when an input sum is NaN.
    /// </summary>
    public static double SqnrDb(double signal, double noise)
    {
        if (double.IsNaN(signal) || double.IsNaN(noise)) return double.NaN;
        if (noise <= 0) return double.PositiveInfinity;
        if (signal <= 0) return double.NegativeInfinity;
        return 10 * Math.Log10(signal / noise);
    }

    /// <summary>Σxy / √(Σx²·Σy²), clamped to [−1, 1]. Two all-zero vectors are identical (1); exactly one all-zero vector
    /// has no direction (0).</summary>
    public static double CosineOf(double xy, double xx, double yy)
    {
        if (xx <= 0 && yy <= 0) return 1;
        if (xx <= 0 || yy <= 0) return 0;
        return Math.Clamp(xy / Math.Sqrt(xx * yy), -1, 1);
    }
}
