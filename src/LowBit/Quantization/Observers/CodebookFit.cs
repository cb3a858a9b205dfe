using LowBit.Formats;

namespace LowBit.Quantization.Observers;

/// <summary>
/// Fits a <see cref="CodebookFormat"/> to a weight tensor, given per-slot absmax scales (the granularity's, through the
/// scale format; <see cref="Qdq.QdqParams"/>): one codebook for the whole tensor on the scaled values t = w/s ∈ [−1, 1],
/// each weighted by s² so that the fit minimizes the error of the weights themselves, Σ (w − s·c)² = Σ s²·(t − c)²:
/// k-means (<see cref="Levels"/>) or the NUPES exponent (<see cref="PowerExponentLevels"/>). Deterministic: the same tensor always gives the same
/// codebook (manifest replay recomputes it).
/// </summary>
internal static class CodebookFit
{
    /// <summary>k-means++ seeding reads at most this many values (evenly strided through the sorted values).</summary>
    public const int SeedSample = 65536;
    public const int MaxIterations = 200;

    /// <summary>The NUPES exponent search reads at most this many values (evenly strided).</summary>
    public const int SearchSample = 262144;

    /// <summary><paramref name="scaled"/> (a codebook template's parameters, absmax scales) with the codebook fitted to
    /// <paramref name="x"/> [shape] under those scales.</summary>
    public static QuantParams Choose(ReadOnlySpan<float> x, int[] shape, QuantParams scaled)
    {
        var template = (CodebookFormat)scaled.Format;
        var (values, offsets) = WeightRanges.GatherBySlot(x, shape, scaled.Granularity, scaled.Scales.Length);
        var weights = new float[values.Length];
        for (int p = 0; p < scaled.Scales.Length; p++)
            for (int i = offsets[p]; i < offsets[p + 1]; i++)
            {
                values[i] /= scaled.Scales[p];
                weights[i] = scaled.Scales[p] * scaled.Scales[p];
            }
        return new QuantParams(Fit(template, values, weights), scaled.Granularity, scaled.Scales, scaled.ZeroPoints, scaled.ScaleShape);
    }

    /// <summary>
    /// The codebook refitted with each weight's importance to the layer output (Choi et al. 2017, Hessian-weighted
    /// k-means): for matrix element (r, k) of group g (row-major [rows, cols], rows split evenly into the groups), the
    /// weight is s²·H_g[k, k], H_g the group's input Hessian (<paramref name="diagonals"/>[g] = its diagonal, [cols]), so the
    /// fit minimizes Σ H_kk·(w − s·c)², the diagonal part of the layer's output error. Returns <paramref name="format"/>
    /// unchanged when the weights leave fewer than two levels.
    /// </summary>
    public static CodebookFormat HessianWeighted(CodebookFormat format, ReadOnlySpan<float> w, ReadOnlySpan<float> scales,
        int rowsPerGroup, int cols, IReadOnlyList<double[]> diagonals)
    {
        var t = new float[w.Length];
        var weight = new float[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            int row = i / cols, k = i % cols;
            t[i] = w[i] / scales[i];
            weight[i] = (float)(scales[i] * scales[i] * diagonals[row / rowsPerGroup][k]);
        }
        return Fit(format, t, weight);
    }

    /// <summary>The family's fit of <paramref name="format"/>'s width to scaled values t with weights; the format itself
    /// when the weights leave fewer than two levels.</summary>
    public static CodebookFormat Fit(CodebookFormat format, ReadOnlySpan<float> t, ReadOnlySpan<float> weights)
    {
        var levels = format.Family == CodebookFamily.KMeans ? Levels(t, weights, format.Bits) : PowerExponentLevels(t, weights, format.Bits).Levels;
        return levels.Length >= 2 ? format.WithLevels(levels) : format;
    }

    /// <summary>
    /// NUPES (Yvinec et al. 2023, arXiv:2308.05600) power-exponent grid: the α of <see cref="CodebookFormat.PowerLevels"/>
    /// minimizing Σ wᵢ·(tᵢ − nearest level)², over α ∈ [¼, 4]: 33 points evenly spaced in log2 α, then a golden-section
    /// refinement (24 steps) around the best. α &lt; 1 spreads levels toward ±1 (heavy tails), α &gt; 1 crowds them near 0
    /// (peaked weights). Evaluated on at most <see cref="SearchSample"/> values, evenly strided. Returns the levels and α.
    /// </summary>
    public static (float[] Levels, double Alpha) PowerExponentLevels(ReadOnlySpan<float> values, ReadOnlySpan<float> weights, int bits)
    {
        if (!weights.IsEmpty && weights.Length != values.Length) throw new ArgumentException($"{weights.Length} weights for {values.Length} values");
        int stride = Math.Max(1, (values.Length + SearchSample - 1) / SearchSample);
        var t = new List<float>();
        var w = new List<float>();
        for (int i = 0; i < values.Length; i += stride)
        {
            float wi = weights.IsEmpty ? 1 : weights[i];
            if (float.IsFinite(values[i]) && float.IsFinite(wi) && wi > 0) { t.Add(values[i]); w.Add(wi); }
        }
        double Error(double log2Alpha)
        {
            var levels = CodebookFormat.PowerLevels(bits, Math.Pow(2, log2Alpha));
            double e = 0;
            for (int i = 0; i < t.Count; i++)
            {
                int j = Array.BinarySearch(levels, t[i]);
                if (j < 0) j = ~j;
                double d = double.PositiveInfinity;
                if (j < levels.Length) d = levels[j] - t[i];
                if (j > 0) d = Math.Min(d, t[i] - levels[j - 1]);
                e += w[i] * d * d;
            }
            return e;
        }
        const int Points = 33;
        double lo = -2, hi = 2, step = (hi - lo) / (Points - 1), best = 0, bestError = Error(0);
        for (int p = 0; p < Points; p++)
        {
            double x = lo + p * step, e = Error(x);
            if (e < bestError) (best, bestError) = (x, e);
        }
        // Golden section on [best − step, best + step] (log2 α), keeping the scan's best unless it finds a lower error.
        double a = Math.Max(lo, best - step), b = Math.Min(hi, best + step), r = (Math.Sqrt(5) - 1) / 2;
        double x1 = b - r * (b - a), x2 = a + r * (b - a), e1 = Error(x1), e2 = Error(x2);
        for (int it = 0; it < 24; it++)
        {
            if (e1 < e2) { b = x2; x2 = x1; e2 = e1; x1 = b - r * (b - a); e1 = Error(x1); }
            else { a = x1; x1 = x2; e1 = e2; x2 = a + r * (b - a); e2 = Error(x2); }
        }
        if (Math.Min(e1, e2) < bestError) best = e1 < e2 ? x1 : x2;
        double alpha = Math.Pow(2, best);
        return (CodebookFormat.PowerLevels(bits, alpha), alpha);
    }

    /// <summary>
    /// Weighted 1-D k-means: at most 2^<paramref name="bits"/> levels c minimizing Σ wᵢ·min_j (tᵢ − c_j)², one level held
    /// at exactly 0. Seeding: k-means++ (Arthur and Vassilvitskii 2007) with 0 as the first centre, on a strided sample of
    /// the sorted values, fixed seed. Lloyd iterations then run on all values: in one dimension each cluster is an interval
    /// of the sorted values between the midpoints of neighbouring levels, so with prefix sums of w and w·t an iteration
    /// costs O(k·log n). A cluster that empties is dropped (fewer levels). Stops when no level moves.
    /// <paramref name="weights"/> (e.g. a Hessian diagonal, Choi et al. 2017) default to 1; non-finite values are skipped.
    /// </summary>
    public static float[] Levels(ReadOnlySpan<float> values, ReadOnlySpan<float> weights, int bits)
    {
        if (!weights.IsEmpty && weights.Length != values.Length) throw new ArgumentException($"{weights.Length} weights for {values.Length} values");
        int k = 1 << bits;
        var pairs = new List<(double T, double W)>(values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            double w = weights.IsEmpty ? 1 : weights[i];
            if (float.IsFinite(values[i]) && double.IsFinite(w) && w > 0) pairs.Add((values[i], w));
        }
        pairs.Sort((a, b) => a.T.CompareTo(b.T));
        int n = pairs.Count;
        var t = pairs.Select(p => p.T).ToArray();
        var sumW = new double[n + 1];
        var sumWT = new double[n + 1];
        for (int i = 0; i < n; i++) { sumW[i + 1] = sumW[i] + pairs[i].W; sumWT[i + 1] = sumWT[i] + pairs[i].W * pairs[i].T; }

        var centres = Seed(t, pairs.Select(p => p.W).ToArray(), k);
        for (int it = 0; it < MaxIterations; it++)
        {
            centres.Sort();
            var next = new List<double>(centres.Count);
            int lo = 0;
            for (int j = 0; j < centres.Count; j++)
            {
                int hi = j == centres.Count - 1 ? n : LowerBound(t, (centres[j] + centres[j + 1]) / 2);
                double w = sumW[hi] - sumW[lo];
                if (centres[j] == 0) next.Add(0);
                else if (w > 0) next.Add((sumWT[hi] - sumWT[lo]) / w);
                lo = hi;
            }
            bool moved = next.Count != centres.Count || next.Where((c, j) => c != centres[j]).Any();
            centres = next;
            if (!moved) break;
        }
        return centres.Select(c => (float)c).Select(c => c + 0f).Distinct().Order().ToArray();
    }

    /// <summary>k-means++ on a strided sample: 0 first, then each next centre drawn with probability ∝ w·D², D the distance
    /// to the nearest centre so far; stops early when every sampled value sits on a centre.</summary>
    private static List<double> Seed(double[] t, double[] w, int k)
    {
        int stride = Math.Max(1, (t.Length + SeedSample - 1) / SeedSample);
        var st = new List<double>();
        var sw = new List<double>();
        for (int i = 0; i < t.Length; i += stride) { st.Add(t[i]); sw.Add(w[i]); }
        var d2 = st.Select(v => v * v).ToArray();
        var centres = new List<double> { 0 };
        var rng = new Random(12345);
        while (centres.Count < k)
        {
            double total = 0;
            for (int i = 0; i < d2.Length; i++) total += sw[i] * d2[i];
            if (!(total > 0)) break;
            double r = rng.NextDouble() * total, acc = 0;
            int pick = -1;
            for (int i = 0; i < d2.Length; i++)
            {
                if (d2[i] == 0) continue;
                pick = i;  // the last value off every centre, should rounding leave acc just short of r
                acc += sw[i] * d2[i];
                if (acc >= r) break;
            }
            double c = st[pick];
            centres.Add(c);
            for (int i = 0; i < d2.Length; i++) d2[i] = Math.Min(d2[i], (st[i] - c) * (st[i] - c));
        }
        return centres;
    }

    /// <summary>First index i with t[i] ≥ v (t ascending).</summary>
    private static int LowerBound(double[] t, double v)
    {
        int lo = 0, hi = t.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (t[mid] < v) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
