using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Unique-11. Without <c>axis</c> the flattened elements are the items; with it, X is seen as [outer, n, inner] and the
/// items are the n slices X[o, j, i] (compared lexicographically in (o, i) order, as numpy.unique(axis=) does).
/// Outputs: Y (the distinct items: ascending when <c>sorted</c>, else in order of first occurrence), indices (first
/// occurrence of each Y item in X), inverse_indices (for every X item its position in Y), counts; the last three int64.
/// Equality is exact per dtype: integers as int64 (uint64 order-preserving), floats as float64 (exact for every float
/// type, NaN equals NaN and sorts first), strings ordinal.
/// </summary>
internal static class UniqueOps
{
    [Op("Unique", 11)]
    public static Tensor?[] Unique(Tensor X, long? axis = null, long sorted = 1)
    {
        if (X.DType.IsPacked4()) throw new ArgumentException($"Unique does not take {X.DType.Name()} tensors");
        int a = axis is long ax ? ShapeArgs.Axis(ax, X.Rank) : -1;
        int outer = a < 0 ? 1 : ShapeArgs.Product(X.Shape, 0, a);
        int n = a < 0 ? X.Length : X.Shape[a];
        int inner = a < 0 ? 1 : ShapeArgs.Product(X.Shape, a + 1, X.Rank);
        var cmpElem = ElementComparer(X);

        int CompareItems(int p, int q)
        {
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int baseO = o * n * inner + i;
                    int c = cmpElem(baseO + p * inner, baseO + q * inner);
                    if (c != 0) return c;
                }
            return 0;
        }

        // Ties broken by position, so each run of equal items starts with its first occurrence.
        var order = new int[n];
        for (int j = 0; j < n; j++) order[j] = j;
        Array.Sort(order, (p, q) =>
        {
            int c = CompareItems(p, q);
            return c != 0 ? c : p.CompareTo(q);
        });

        var firsts = new List<int>();
        var groupOf = new int[n];
        for (int k = 0; k < n; k++)
        {
            if (k == 0 || CompareItems(order[k - 1], order[k]) != 0) firsts.Add(order[k]);
            groupOf[order[k]] = firsts.Count - 1;
        }
        int u = firsts.Count;
        // rank[g] = position of group g in Y: the sorted order, or the order of first occurrence.
        var rank = new int[u];
        if (sorted != 0) for (int g = 0; g < u; g++) rank[g] = g;
        else
        {
            var byFirst = Enumerable.Range(0, u).OrderBy(g => firsts[g]).ToArray();
            for (int p = 0; p < u; p++) rank[byFirst[p]] = p;
        }

        var indices = new long[u];
        var counts = new long[u];
        var inverse = new long[n];
        for (int g = 0; g < u; g++) indices[rank[g]] = firsts[g];
        for (int j = 0; j < n; j++)
        {
            int p = rank[groupOf[j]];
            inverse[j] = p;
            counts[p]++;
        }

        var yShape = a < 0 ? new[] { u } : (int[])X.Shape.Clone();
        if (a >= 0) yShape[a] = u;
        var y = Tensor.Empty(X.DType, yShape);
        for (int o = 0; o < outer; o++)
            for (int p = 0; p < u; p++)
                Elements.Copy(X, (o * n + (int)indices[p]) * inner, y, (o * u + p) * inner, inner);
        return [y, Tensor.FromArray(indices, u), Tensor.FromArray(inverse, n), Tensor.FromArray(counts, u)];
    }

    /// <summary>Total order on the flat elements of <paramref name="x"/> (see the class comment).</summary>
    private static Comparison<int> ElementComparer(Tensor x)
    {
        switch (x.DType)
        {
            case DType.String:
            {
                var s = x.AsSpan<string>().ToArray();
                return (p, q) => string.CompareOrdinal(s[p], s[q]);
            }
            case DType.UInt64:
            {
                var v = x.AsSpan<ulong>().ToArray();
                return (p, q) => v[p].CompareTo(v[q]);
            }
            case var t when t.IsInteger() || t == DType.Bool:
            {
                var v = x.ToInt64Array();
                return (p, q) => v[p].CompareTo(v[q]);
            }
            default:
            {
                var v = x.ToDoubleArray();
                return (p, q) => v[p].CompareTo(v[q]);
            }
        }
    }
}
