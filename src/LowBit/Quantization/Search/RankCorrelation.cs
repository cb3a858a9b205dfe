namespace LowBit.Quantization.Search;

/// <summary>Spearman's rank correlation ρ: the Pearson correlation of the ranks, ties given their mean rank.</summary>
public static class RankCorrelation
{
    /// <summary>ρ of paired values (NaN when fewer than two pairs, or one side is constant).</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"{x.Count} values against {y.Count}");
        if (x.Count < 2) return double.NaN;
        var rx = Ranks(x);
        var ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < rx.Length; i++)
        {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>1-based ranks, ascending; tied values share the mean of their ranks.</summary>
    internal static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
            double mean = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[order[k]] = mean;
            i = j + 1;
        }
        return ranks;
    }
}
