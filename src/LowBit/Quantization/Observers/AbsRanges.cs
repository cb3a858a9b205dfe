using LowBit.Formats;

namespace LowBit.Quantization.Observers;

/// <summary>
/// BitNet-style weight scales per parameter slot: s = mean|w| (BitNet b1.58, Ma et al. 2024, arXiv:2402.17764, whose
/// ternary codes are round(clip(w/s, −1, 1))) or s = median|w| (BitNet b1.58 Reloaded, Nielsen et al. 2024,
/// arXiv:2407.09527). For any symmetric grid the slot's range is set so that <see cref="Affine.ChooseOne"/> returns
/// exactly s = m: [−m·(z − qmin), m·(qmax − z)] for an integer grid (z its symmetric zero point), ±m·max|grid| for a
/// float grid. For ternary that is ±m; for wider grids the range is m·max|grid|, which clips far less than the ternary
/// case (only values beyond m·max|grid|). Non-finite values are skipped; a slot with m = 0 gets [0, 0] (then s = 1).
/// </summary>
internal static class AbsRanges
{
    /// <summary>m per slot: the mean (or median, the mean of the two middle values for an even count) of |w|.</summary>
    public static float[] Statistic(ReadOnlySpan<float> x, int[] shape, Granularity granularity, bool median)
    {
        int slots = (int)Tensors.Tensor.ElementCount(QuantParams.ScaleShapeFor(shape, granularity));
        var (values, offsets) = WeightRanges.GatherBySlot(x, shape, granularity, slots);
        var m = new float[slots];
        for (int p = 0; p < slots; p++)
        {
            var slot = values.AsSpan(offsets[p], offsets[p + 1] - offsets[p]);
            if (slot.IsEmpty) continue;
            for (int i = 0; i < slot.Length; i++) slot[i] = Math.Abs(slot[i]);
            if (median)
            {
                slot.Sort();
                int h = slot.Length / 2;
                m[p] = slot.Length % 2 == 1 ? slot[h] : (float)(((double)slot[h - 1] + slot[h]) / 2);
                continue;
            }
            double sum = 0;
            foreach (float a in slot) sum += a;
            m[p] = (float)(sum / slot.Length);
        }
        return m;
    }

    /// <summary>Ranges whose symmetric scale is m (see the class comment).</summary>
    public static (float[] Mins, float[] Maxs) Ranges(ReadOnlySpan<float> x, int[] shape, INumberFormat format, Granularity granularity, bool median)
    {
        var m = Statistic(x, shape, granularity, median);
        double below, above;
        if (format.IntegerRange is { } q)
        {
            int z = (q.Min + q.Max + 1) / 2;
            (below, above) = (z - q.Min, q.Max - z);
        }
        else
        {
            var grid = format.Grid;
            below = above = Math.Max(Math.Abs(grid[0]), Math.Abs(grid[^1]));
        }
        var mins = new float[m.Length];
        var maxs = new float[m.Length];
        for (int p = 0; p < m.Length; p++) (mins[p], maxs[p]) = ((float)(-m[p] * below), (float)(m[p] * above));
        return (mins, maxs);
    }
}
