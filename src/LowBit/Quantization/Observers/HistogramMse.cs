using LowBit.Formats;

namespace LowBit.Quantization.Observers;

/// <summary>
/// Expected squared quantization error Σ ∫ (x − Q(x))² of a histogram read as a piecewise-uniform density (each bin's count
/// spread evenly over the bin), for the quantizer Q(x) = s·(g − z) at the grid value g nearest to x/s + z, saturating at
/// the grid ends. Exact for that density: the integral is split where Q changes (midpoints between dequantized grid
/// values r_j) and each piece is ∫ₐᵇ (x − r)² dx = ((b − r)³ − (a − r)³)/3. Cost O(bins + grid levels), grid-agnostic.
/// </summary>
internal static class HistogramMse
{
    public static double Expected(Histogram h, INumberFormat format, float scale, int zeroPoint)
    {
        var grid = format.Grid;
        int last = grid.Count - 1;
        double s = scale;
        double R(int j) => s * ((double)grid[j] - zeroPoint);
        double Upper(int j) => j == last ? double.PositiveInfinity : 0.5 * (R(j) + R(j + 1));
        if (h.Constant is float c)
        {
            int j0 = 0;
            double v = h.Magnitude ? Math.Abs(c) : c;
            while (Upper(j0) <= v) j0++;
            return h.Total * (v - R(j0)) * (v - R(j0));
        }
        var counts = h.Counts;
        double w = h.Width, total = 0;
        int j = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            long n = counts[i];
            if (n == 0) continue;
            double a = h.BinLow(i), b = a + w, density = n / w;
            while (Upper(j) <= a) j++;
            for (double x0 = a; ; j++)
            {
                double x1 = Math.Min(b, Upper(j)), r = R(j);
                double d1 = x1 - r, d0 = x0 - r;
                total += density * (d1 * d1 * d1 - d0 * d0 * d0) / 3;
                if (x1 >= b) break;
                x0 = x1;
            }
        }
        return total;
    }
}
