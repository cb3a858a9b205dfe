namespace LowBit.Kernels.Pool;

/// <summary>N-d window iteration shared by the pooling forward and backward: output positions and, per position, the
/// window offsets that fall inside the input (<see cref="PoolShape.Valid"/>).</summary>
internal static class PoolWindow
{
    /// <summary>Sets kc to the window's first valid offsets; false when the window has no in-image element.</summary>
    internal static bool StartWindow(PoolShape s, ReadOnlySpan<int> oc, Span<int> kc)
    {
        for (int d = 0; d < kc.Length; d++)
        {
            var (lo, hi) = s.Valid[d][oc[d]];
            if (lo >= hi) return false;
            kc[d] = lo;
        }
        return true;
    }

    /// <summary>Flat input index of window offset kc for output position oc.</summary>
    internal static int WindowIndex(PoolShape s, ReadOnlySpan<int> oc, ReadOnlySpan<int> kc)
    {
        int flat = 0;
        for (int d = 0; d < kc.Length; d++) flat = flat * s.Input[d] + (oc[d] * s.Strides[d] - s.PadBegin[d] + kc[d] * s.Dilations[d]);
        return flat;
    }

    /// <summary>Odometer step over the valid offsets; false after the last.</summary>
    internal static bool NextInWindow(PoolShape s, ReadOnlySpan<int> oc, Span<int> kc)
    {
        for (int d = kc.Length - 1; d >= 0; d--)
        {
            if (++kc[d] < s.Valid[d][oc[d]].Hi) return true;
            kc[d] = s.Valid[d][oc[d]].Lo;
        }
        return false;
    }

    /// <summary>Odometer step of a row-major index over <paramref name="shape"/>.</summary>
    internal static void Next(Span<int> idx, int[] shape)
    {
        for (int d = idx.Length - 1; d >= 0; d--)
        {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }
}
