using System.Numerics.Tensors;

namespace LowBit.Quantization.Observers;

/// <summary>Running min, max and counts over finite values (NaN and ±Inf are counted apart and skipped).</summary>
internal struct RangeStats
{
    public float Min = float.PositiveInfinity;
    public float Max = float.NegativeInfinity;
    public long Count;
    public long NonFinite;

    public RangeStats() { }

    public void Add(ReadOnlySpan<float> values)
    {
        var (mn, mx, finite) = Of(values);
        Count += finite;
        NonFinite += values.Length - finite;
        if (finite == 0) return;
        Min = Math.Min(Min, mn);
        Max = Math.Max(Max, mx);
    }

    /// <summary>Min, max and count of the finite values; (+∞, −∞, 0) when there are none.</summary>
    public static (float Min, float Max, int Finite) Of(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return (float.PositiveInfinity, float.NegativeInfinity, 0);
        // Fast path: TensorPrimitives propagates NaN and keeps ±Inf, so finite results mean every value is finite.
        float mn = TensorPrimitives.Min(values), mx = TensorPrimitives.Max(values);
        if (float.IsFinite(mn) && float.IsFinite(mx)) return (mn, mx, values.Length);
        mn = float.PositiveInfinity;
        mx = float.NegativeInfinity;
        int n = 0;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) continue;
            n++;
            if (v < mn) mn = v;
            if (v > mx) mx = v;
        }
        return (mn, mx, n);
    }

    /// <summary>Warnings every observer reports: nothing observed, non-finite values skipped.</summary>
    public readonly List<string> BaseWarnings()
    {
        var w = new List<string>();
        if (Count == 0) w.Add("no finite values were observed; the range defaults to [0, 0]");
        if (NonFinite > 0) w.Add($"{NonFinite} NaN/Inf values were ignored");
        return w;
    }

    /// <summary>The observed range, or [0, 0] when nothing finite was seen.</summary>
    public readonly (float Min, float Max) RangeOrZero => Count == 0 ? (0f, 0f) : (Min, Max);
}
