using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// TfIdfVectorizer-9: n-gram counts of an int32/int64/string sequence [C] (or each row of [N, C]) against a pool.
/// Pool layout: n-grams grouped by length; <c>ngram_counts[L−1]</c> is where the L-grams start in the pool (each takes
/// L items), the last group runs to the end. The k-th n-gram of the pool (counting n-grams, not items) is counted in
/// output column <c>ngram_indexes[k]</c>; the output has max(ngram_indexes) + 1 columns.
/// An L-gram with skip s is (x[i], x[i+s+1], …, x[i+(L−1)(s+1)]) for s in [0, max_skip_count]; unigrams are counted
/// once (they do not depend on s). Only L in [min_gram_length, max_gram_length] is counted.
/// Output (float32): TF = count, IDF = weight if count &gt; 0 else 0, TFIDF = count · weight; weights default to 1, and
/// weights[k] belongs to the k-th pool n-gram, so it applies to column ngram_indexes[k] (as ONNX Runtime applies it).
/// </summary>
internal static class TfIdfOps
{
    [Op("TfIdfVectorizer", 9)]
    public static Tensor TfIdfVectorizer(Tensor X, long max_gram_length, long max_skip_count, long min_gram_length, string mode,
        long[] ngram_counts, long[] ngram_indexes, long[]? pool_int64s = null, string[]? pool_strings = null, float[]? weights = null)
    {
        if (mode is not ("TF" or "IDF" or "TFIDF"))
            throw new LowBitException(ErrorKind.InvalidModel, $"mode '{mode}' is not one of TF, IDF, TFIDF");
        if (min_gram_length < 1 || max_gram_length < min_gram_length || max_skip_count < 0)
            throw new LowBitException(ErrorKind.InvalidModel,
                $"gram lengths [{min_gram_length}, {max_gram_length}] or max_skip_count {max_skip_count} are invalid");
        if (X.Rank is not (1 or 2)) throw new ArgumentException($"TfIdfVectorizer takes shape [C] or [N, C], got {X.ShapeString}");
        if (ngram_indexes.Any(i => i < 0)) throw new LowBitException(ErrorKind.InvalidModel, "ngram_indexes has a negative entry");
        int rows = X.Rank == 1 ? 1 : X.Shape[0], c = X.Shape[^1];
        long maxIndex = ngram_indexes.Length == 0 ? -1 : ngram_indexes.Max();
        // The output holds rows · (max index + 1) floats: refuse a hostile index before allocating it.
        if ((maxIndex + 1) * Math.Max(rows, 1) > Tensor.MaxElements)
            throw new LowBitException(ErrorKind.InvalidModel, $"ngram_indexes entry {maxIndex} makes an output of more than {Tensor.MaxElements} elements");
        int cols = (int)(maxIndex + 1);
        if (weights is not null && weights.Length != ngram_indexes.Length)
            throw new LowBitException(ErrorKind.InvalidModel, $"weights has {weights.Length} entries for {ngram_indexes.Length} n-grams");
        var colWeight = new float[cols];
        Array.Fill(colWeight, 1f);
        if (weights is not null) for (int k = 0; k < weights.Length; k++) colWeight[ngram_indexes[k]] = weights[k];

        var counts = new float[rows * cols];
        if (X.DType == DType.String)
        {
            if (pool_strings is null) throw new LowBitException(ErrorKind.InvalidModel, "string input needs the pool_strings attribute");
            Count(X.AsSpan<string>().ToArray(), rows, c, pool_strings, ngram_counts, ngram_indexes, min_gram_length, max_gram_length,
                max_skip_count, counts, cols, StringComparer.Ordinal);
        }
        else if (X.DType is DType.Int32 or DType.Int64)
        {
            if (pool_int64s is null) throw new LowBitException(ErrorKind.InvalidModel, "integer input needs the pool_int64s attribute");
            Count(X.ToInt64Array(), rows, c, pool_int64s, ngram_counts, ngram_indexes, min_gram_length, max_gram_length,
                max_skip_count, counts, cols, EqualityComparer<long>.Default);
        }
        else throw new ArgumentException($"TfIdfVectorizer takes int32, int64 or string input, got {X.DType.Name()}");

        for (int i = 0; i < counts.Length; i++)
        {
            float w = colWeight[i % cols];
            counts[i] = mode switch { "TF" => counts[i], "IDF" => counts[i] > 0 ? w : 0f, _ => counts[i] * w };
        }
        return Tensor.FromArray(counts, X.Rank == 1 ? [cols] : [rows, cols]);
    }

    private static void Count<T>(T[] x, int rows, int c, T[] pool, long[] starts, long[] indexes, long minLen, long maxLen,
        long maxSkip, float[] counts, int cols, IEqualityComparer<T> eq)
    {
        var columnOf = new Dictionary<T[], int>(new SequenceComparer<T>(eq));
        int k = 0;
        for (int g = 0; g < starts.Length; g++)
        {
            int len = g + 1;
            long from = starts[g], to = g + 1 < starts.Length ? starts[g + 1] : pool.Length;
            if (from < 0 || to > pool.Length || from > to || (to - from) % len != 0)
                throw new LowBitException(ErrorKind.InvalidModel,
                    $"ngram_counts [{string.Join(",", starts)}] does not split the pool of {pool.Length} items into {len}-grams");
            for (long p = from; p < to; p += len, k++)
            {
                if (k >= indexes.Length)
                    throw new LowBitException(ErrorKind.InvalidModel, $"ngram_indexes has {indexes.Length} entries, the pool has more n-grams");
                columnOf.TryAdd(pool.AsSpan((int)p, len).ToArray(), (int)indexes[k]);
            }
        }
        maxLen = Math.Min(maxLen, starts.Length); // no pool n-gram is longer
        var gram = new T[maxLen][];
        for (int l = 1; l <= maxLen; l++) gram[l - 1] = new T[l];
        for (int r = 0; r < rows; r++)
            for (long len = minLen; len <= maxLen; len++)
                for (long skip = 0; skip <= (len == 1 ? 0 : maxSkip); skip++)
                {
                    long span = (len - 1) * (skip + 1);
                    var key = gram[len - 1];
                    for (long i = 0; i + span < c; i++)
                    {
                        for (int j = 0; j < len; j++) key[j] = x[r * c + i + j * (skip + 1)];
                        if (columnOf.TryGetValue(key, out int col)) counts[r * cols + col]++;
                    }
                }
    }

    private sealed class SequenceComparer<T>(IEqualityComparer<T> eq) : IEqualityComparer<T[]>
    {
        public bool Equals(T[]? a, T[]? b)
        {
            if (a is null || b is null || a.Length != b.Length) return a is null && b is null;
            for (int i = 0; i < a.Length; i++) if (!eq.Equals(a[i], b[i])) return false;
            return true;
        }

        public int GetHashCode(T[] a)
        {
            var h = new HashCode();
            foreach (var v in a) h.Add(v, eq);
            return h.ToHashCode();
        }
    }
}
