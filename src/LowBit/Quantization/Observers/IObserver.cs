namespace LowBit.Quantization.Observers;

/// <summary>
/// Range estimation for one tensor (DESIGN.md §3): <see cref="Observe"/> once per batch, as often as wanted, then
/// <see cref="Compute"/>. Memory is fixed at construction (histograms never keep the values), so calibration sets of any
/// size stream through. NaN and ±Inf are ignored and reported in the result's warnings.
/// </summary>
internal interface IObserver
{
    /// <summary>Adds one batch of values.</summary>
    void Observe(ReadOnlySpan<float> values);

    /// <summary>Finite values seen so far.</summary>
    long Count { get; }

    /// <summary>The chosen clipping range; feed it to <c>Affine.Choose</c>. Valid after any number of observations
    /// (with none the range is [0, 0] and a warning says so).</summary>
    ObservedRange Compute();
}

/// <summary>A clipping range [Min, Max] chosen by an observer, the number of finite values it rests on, and warnings
/// (too few samples for the estimate, non-finite values ignored) for the caller to show.
/// Invariant Min ≤ 0 ≤ Max, enforced here for every observer: the range is widened to contain 0, so zero (padding,
/// ReLU's zeros) is always exact, and a clip that lands inside a one-sided range (a threshold below the data's minimum)
/// cannot leave Min &gt; Max.</summary>
public sealed record ObservedRange(float Min, float Max, long Count, IReadOnlyList<string> Warnings)
{
    public float Min { get; } = Math.Min(Min, 0f);
    public float Max { get; } = Math.Max(Max, 0f);
}
