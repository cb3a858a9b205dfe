using LowBit.Tensors;

namespace LowBit.Nn;

/// <summary>
/// Classification accuracy on logits with classes on the last axis ([N, C] or [N, T, V]) and integer targets shaped like
/// the logits without that axis. Ties rank the lower class index first (as an argmax taking the first maximum), so a row
/// is top-k correct when fewer than k classes rank before its target. A NaN score never ranks before a target; a NaN
/// target ranks after every other score.
/// </summary>
public static class Metrics
{
    /// <summary>Index of the first maximum of each row.</summary>
    public static long[] ArgMax(Tensor logits)
    {
        var (rows, classes) = Losses.Rows(logits, "logits");
        var z = logits.AsReadOnlySpan<float>();
        var result = new long[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = z.Slice(r * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[best] || float.IsNaN(row[best])) best = c;
            result[r] = best;
        }
        return result;
    }

    /// <summary>Number of rows whose target is among the <paramref name="k"/> highest scores.</summary>
    public static int CorrectTopK(Tensor logits, Tensor targets, int k = 1)
    {
        var (rows, classes) = Losses.Rows(logits, "logits");
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), "k must be at least 1");
        if (!targets.Shape.SequenceEqual(logits.Shape[..^1]))
            throw new LowBitException(ErrorKind.InvalidInput, $"targets {targets.ShapeString} do not match logits {logits.ShapeString}");
        var z = logits.AsReadOnlySpan<float>();
        int correct = 0;
        for (int r = 0; r < rows; r++)
        {
            long y = targets.GetInt64(r);
            if (y < 0 || y >= classes) continue;
            var row = z.Slice(r * classes, classes);
            float zy = row[(int)y];
            int before = 0;
            for (int c = 0; c < classes && before < k; c++)
                if (row[c] > zy || (row[c] == zy && c < y) || (float.IsNaN(zy) && !float.IsNaN(row[c]))) before++;
            if (before < k) correct++;
        }
        return correct;
    }

    /// <summary>Fraction of rows whose target has the highest score (0 for no rows).</summary>
    public static double Accuracy(Tensor logits, Tensor targets) => TopKAccuracy(logits, targets, 1);

    /// <summary>Fraction of rows whose target is among the k highest scores (0 for no rows).</summary>
    public static double TopKAccuracy(Tensor logits, Tensor targets, int k)
    {
        int rows = Losses.Rows(logits, "logits").Rows;
        return rows == 0 ? 0 : (double)CorrectTopK(logits, targets, k) / rows;
    }
}
