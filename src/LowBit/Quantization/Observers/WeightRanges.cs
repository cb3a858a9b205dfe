using System.Numerics.Tensors;
using LowBit.Formats;

namespace LowBit.Quantization.Observers;

/// <summary>
/// Ranges computed directly on a whole weight tensor, one per parameter slot of a granularity (per tensor, per channel,
/// per group; row-major in <see cref="QuantParams.ScaleShapeFor"/>). Weights are known in full, so no histogram is
/// needed: min-max is exact and MSE evaluates the real quantization error of each slot. Non-finite values are skipped;
/// a slot without finite values gets [0, 0].
/// </summary>
internal static class WeightRanges
{
    public static (float[] Mins, float[] Maxs) MinMax(ReadOnlySpan<float> x, int[] shape, Granularity granularity)
    {
        int slots = SlotCount(shape, granularity);
        var mins = new float[slots];
        var maxs = new float[slots];
        mins.AsSpan().Fill(float.PositiveInfinity);
        maxs.AsSpan().Fill(float.NegativeInfinity);
        foreach (var run in ParamLayout.Runs(shape, granularity))
        {
            var v = x.Slice(run.Start, run.Length);
            if (run.Step == 0)
            {
                var (mn, mx, finite) = RangeStats.Of(v);
                if (finite == 0) continue;
                mins[run.Param] = Math.Min(mins[run.Param], mn);
                maxs[run.Param] = Math.Max(maxs[run.Param], mx);
                continue;
            }
            for (int i = 0; i < v.Length; i++)
            {
                float f = v[i];
                if (!float.IsFinite(f)) continue;
                int p = run.Param + i;
                if (f < mins[p]) mins[p] = f;
                if (f > maxs[p]) maxs[p] = f;
            }
        }
        for (int i = 0; i < slots; i++)
            if (mins[i] > maxs[i]) (mins[i], maxs[i]) = (0, 0);
        return (mins, maxs);
    }

    /// <summary>
    /// Per slot, the range [α·lo, α·hi] (lo = min(min, 0), hi = max(max, 0), α ≥ 1/16 by <see cref="ClipSearch"/>)
    /// minimizing Σ (w − fakequant(w))² over the slot's own values for the target format and scheme. Costs about 80
    /// fake-quantization passes over the tensor.
    /// </summary>
    /// <param name="scaleFormat">Scale representation applied inside the search (E8M0: each candidate's scale rounded up
    /// to its power of two, so the search picks among powers of two; Int8's runs span slots and are applied after).</param>
    public static (float[] Mins, float[] Maxs) Mse(ReadOnlySpan<float> x, int[] shape, INumberFormat format, QuantScheme scheme, Granularity granularity,
        ScaleFormat scaleFormat = ScaleFormat.Float32)
    {
        var (mins, maxs) = MinMax(x, shape, granularity);
        var (values, offsets) = GatherBySlot(x, shape, granularity, mins.Length);
        int longest = 0;
        for (int p = 0; p < mins.Length; p++) longest = Math.Max(longest, offsets[p + 1] - offsets[p]);
        var fq = new float[longest];
        for (int p = 0; p < mins.Length; p++)
        {
            var slot = values.AsMemory(offsets[p], offsets[p + 1] - offsets[p]);
            double lo = Math.Min(mins[p], 0), hi = Math.Max(maxs[p], 0);
            if (hi - lo == 0 || slot.IsEmpty) continue;
            double alpha = ClipSearch.Minimize(a =>
            {
                var q = Affine.Choose(format, scheme, a * lo, a * hi);
                if (scaleFormat == ScaleFormat.E8M0) q = WeightScales.Apply(q, scaleFormat);
                var y = fq.AsSpan(0, slot.Length);
                Affine.FakeQuantize(slot.Span, [slot.Length], q, y);
                TensorPrimitives.Subtract(slot.Span, y, y);
                return TensorPrimitives.SumOfSquares(y);
            }, 1.0 / 16);
            (mins[p], maxs[p]) = ((float)(alpha * lo), (float)(alpha * hi));
        }
        return (mins, maxs);
    }

    private static int SlotCount(int[] shape, Granularity granularity) =>
        (int)Tensors.Tensor.ElementCount(QuantParams.ScaleShapeFor(shape, granularity));

    /// <summary>The finite values of each slot stored contiguously: slot p is values[offsets[p] .. offsets[p+1]).</summary>
    internal static (float[] Values, int[] Offsets) GatherBySlot(ReadOnlySpan<float> x, int[] shape, Granularity granularity, int slots)
    {
        var runs = ParamLayout.Runs(shape, granularity);
        var offsets = new int[slots + 1];
        foreach (var run in runs)
            for (int i = 0; i < run.Length; i++)
                if (float.IsFinite(x[run.Start + i])) offsets[run.Param + i * run.Step + 1]++;
        for (int p = 0; p < slots; p++) offsets[p + 1] += offsets[p];
        var values = new float[offsets[slots]];
        var fill = (int[])offsets.Clone();
        foreach (var run in runs)
            for (int i = 0; i < run.Length; i++)
            {
                float f = x[run.Start + i];
                if (float.IsFinite(f)) values[fill[run.Param + i * run.Step]++] = f;
            }
        return (values, offsets);
    }
}
