using System.Numerics;
using LowBit.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace LowBit.Onnx.Ops;

/// <summary>
/// Einsum (opset 12): numpy semantics with "..." (broadcast, right-aligned) and implicit output (ellipsis dims, then the
/// letters used exactly once, alphabetically). Each operand first takes diagonals of repeated letters and sums out
/// letters nobody else needs; operands are then contracted pairwise as batched dot products
/// R[b, i, j] = Σₖ A[b, i, k]·B[b, j, k] after permuting each to [batch, own, contracted] (TensorPrimitives.Dot on
/// contiguous rows), and the result is permuted to the output order.
/// </summary>
internal static class EinsumOps
{
    private const int EllipsisLabel = 1000;

    private sealed record Labeled<T>(T[] Data, int[] Shape, int[] Labels)
    {
        public int Length => Data.Length;
    }

    [Op("Einsum", 12)]
    public static Tensor Einsum(string equation, params Tensor[] Inputs)
    {
        if (Inputs.Length == 0) throw new ArgumentException("Einsum needs at least one input");
        foreach (var t in Inputs.Skip(1)) Elementwise.SameType(Inputs[0], t);
        return Inputs[0].DType switch
        {
            DType.Float32 => Run<float>(equation, Inputs),
            DType.Float64 => Run<double>(equation, Inputs),
            DType.Int32 => Run<int>(equation, Inputs),
            DType.Int64 => Run<long>(equation, Inputs),
            DType.UInt32 => Run<uint>(equation, Inputs),
            DType.UInt64 => Run<ulong>(equation, Inputs),
            DType.Float16 or DType.BFloat16 => RunViaFloat32(equation, Inputs),
            _ => throw new NotSupportedException($"Einsum does not support {Inputs[0].DType.Name()}"),
        };
    }

    private static Tensor RunViaFloat32(string equation, Tensor[] inputs)
    {
        var f = inputs.Select(Elementwise.ToFloat32).ToArray();
        var r = Run<float>(equation, f);
        foreach (var t in f) Elementwise.Release(t);
        return Elementwise.FromFloat32(r, inputs[0].DType);
    }

    private static Tensor Run<T>(string equation, Tensor[] inputs) where T : unmanaged, INumber<T>
    {
        var (terms, output) = Parse(equation, inputs);
        var sizes = new Dictionary<int, int>();
        var ops = new List<Labeled<T>>();
        for (int i = 0; i < inputs.Length; i++)
        {
            for (int d = 0; d < terms[i].Length; d++)
            {
                int l = terms[i][d], s = inputs[i].Shape[d];
                if (!sizes.TryGetValue(l, out int prev) || prev == 1) sizes[l] = s;
                else if (s != prev && s != 1) throw new ArgumentException($"Einsum label '{Name(l)}' has sizes {prev} and {s}");
            }
            ops.Add(new Labeled<T>(inputs[i].AsReadOnlySpan<T>().ToArray(), inputs[i].Shape, terms[i]));
        }
        // Diagonals, broadcast of size-1 dims, and labels only this operand has.
        for (int i = 0; i < ops.Count; i++)
        {
            var op = Diagonal(ops[i]);
            op = Expand(op, sizes);
            var needed = new HashSet<int>(output);
            for (int j = 0; j < ops.Count; j++) if (j != i) needed.UnionWith(ops[j].Labels);
            ops[i] = SumOut(op, l => !needed.Contains(l));
        }
        var acc = ops[0];
        for (int k = 1; k < ops.Count; k++)
        {
            var keep = new HashSet<int>(output);
            for (int j = k + 1; j < ops.Count; j++) keep.UnionWith(ops[j].Labels);
            acc = Contract(acc, ops[k], keep);
        }
        acc = SumOut(acc, l => !output.Contains(l));
        var result = Permute(acc, output);
        var r = Tensor.Empty(inputs[0].DType, output.Select(l => sizes[l]).ToArray());
        result.Data.CopyTo(r.AsSpan<T>());
        return r;
    }

    private static string Name(int label) => label >= EllipsisLabel ? "..." : ((char)label).ToString();

    /// <summary>Labels per input term and the output labels. Ellipsis dims get labels EllipsisLabel + k, right-aligned
    /// across operands (k = 0 is the outermost of the widest ellipsis).</summary>
    private static (int[][] Terms, int[] Output) Parse(string equation, Tensor[] inputs)
    {
        var eq = equation.Replace(" ", "");
        var parts = eq.Split("->");
        var lhs = parts[0].Split(',');
        if (lhs.Length != inputs.Length) throw new ArgumentException($"Einsum equation '{equation}' has {lhs.Length} terms for {inputs.Length} inputs");
        int ellipsisRank = 0;
        for (int i = 0; i < lhs.Length; i++)
            if (lhs[i].Contains("...")) ellipsisRank = Math.Max(ellipsisRank, inputs[i].Rank - (lhs[i].Length - 3));
        int[] Term(string term, int rank)
        {
            var labels = new List<int>();
            int e = term.IndexOf("...", StringComparison.Ordinal);
            int letters = term.Length - (e >= 0 ? 3 : 0);
            int own = e >= 0 ? rank - letters : 0;
            if (own < 0 || (e < 0 && letters != rank)) throw new ArgumentException($"Einsum term '{term}' does not match rank {rank}");
            for (int c = 0; c < term.Length; c++)
            {
                if (c == e)
                {
                    for (int k = 0; k < own; k++) labels.Add(EllipsisLabel + ellipsisRank - own + k);
                    c += 2;
                    continue;
                }
                if (!char.IsAsciiLetter(term[c])) throw new ArgumentException($"Einsum equation '{equation}': bad label '{term[c]}'");
                labels.Add(term[c]);
            }
            return labels.ToArray();
        }
        var terms = lhs.Select((t, i) => Term(t, inputs[i].Rank)).ToArray();
        int[] output;
        if (parts.Length > 1)
        {
            output = Term(parts[1], parts[1].Length - (parts[1].Contains("...") ? 3 : 0) + (parts[1].Contains("...") ? ellipsisRank : 0));
            if (output.Distinct().Count() != output.Length) throw new ArgumentException($"Einsum output '{parts[1]}' repeats a label");
        }
        else
        {
            var counts = terms.SelectMany(t => t).Where(l => l < EllipsisLabel).GroupBy(l => l).Where(g => g.Count() == 1).Select(g => g.Key);
            output = [.. Enumerable.Range(EllipsisLabel, ellipsisRank), .. counts.Order()];
        }
        return (terms, output);
    }

    /// <summary>Keeps the elements whose indices agree on every repeated label; each label then appears once.</summary>
    private static Labeled<T> Diagonal<T>(Labeled<T> x)
    {
        if (x.Labels.Distinct().Count() == x.Labels.Length) return x;
        var labels = x.Labels.Distinct().ToArray();
        var shape = labels.Select(l => x.Shape[Array.IndexOf(x.Labels, l)]).ToArray();
        var srcStrides = Broadcast.ContiguousStrides(x.Shape);
        // Stride of each unique label in the source: the sum over its occurrences.
        var strides = labels.Select(l => x.Labels.Select((m, d) => m == l ? srcStrides[d] : 0).Sum()).ToArray();
        return new Labeled<T>(Gather(x.Data, shape, strides), shape, labels);
    }

    /// <summary>Materializes size-1 dims whose label has a larger size elsewhere (ellipsis broadcasting).</summary>
    private static Labeled<T> Expand<T>(Labeled<T> x, Dictionary<int, int> sizes)
    {
        var shape = x.Labels.Select(l => sizes[l]).ToArray();
        if (shape.SequenceEqual(x.Shape)) return x;
        return new Labeled<T>(Gather(x.Data, shape, Broadcast.Strides(x.Shape, shape)), shape, x.Labels);
    }

    private static Labeled<T> SumOut<T>(Labeled<T> x, Func<int, bool> drop) where T : unmanaged, INumber<T>
    {
        var axes = Enumerable.Range(0, x.Labels.Length).Where(d => drop(x.Labels[d])).ToArray();
        if (axes.Length == 0) return x;
        var r = Elementwise.Reduce<T, SumReduce<T>>(Tensor.FromArray(x.Data, x.Shape), axes, keepDims: false);
        var data = r.AsReadOnlySpan<T>().ToArray();
        Elementwise.Release(r);
        return new Labeled<T>(data, r.Shape, x.Labels.Where(l => !drop(l)).ToArray());
    }

    private static Labeled<T> Permute<T>(Labeled<T> x, int[] order)
    {
        if (order.SequenceEqual(x.Labels)) return x;
        var src = Broadcast.ContiguousStrides(x.Shape);
        var idx = order.Select(l => Array.IndexOf(x.Labels, l)).ToArray();
        var shape = idx.Select(d => x.Shape[d]).ToArray();
        return new Labeled<T>(Gather(x.Data, shape, idx.Select(d => src[d]).ToArray()), shape, order);
    }

    /// <summary>r[i] = src[Σ index_d · strides[d]] over the row-major walk of <paramref name="shape"/>.</summary>
    private static T[] Gather<T>(T[] src, int[] shape, int[] strides)
    {
        var r = new T[(int)Tensor.ElementCount(shape)];
        var idx = new int[shape.Length];
        int off = 0;
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = src[off];
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                off += strides[d];
                if (++idx[d] < shape[d]) break;
                off -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
        return r;
    }

    private static Labeled<T> Contract<T>(Labeled<T> a, Labeled<T> b, HashSet<int> keep) where T : unmanaged, INumber<T>
    {
        a = SumOut(a, l => !keep.Contains(l) && !b.Labels.Contains(l));
        b = SumOut(b, l => !keep.Contains(l) && !a.Labels.Contains(l));
        var batch = a.Labels.Where(l => b.Labels.Contains(l) && keep.Contains(l)).ToArray();
        var summed = a.Labels.Where(l => b.Labels.Contains(l) && !keep.Contains(l)).ToArray();
        var aOwn = a.Labels.Where(l => !b.Labels.Contains(l)).ToArray();
        var bOwn = b.Labels.Where(l => !a.Labels.Contains(l)).ToArray();
        var pa = Permute(a, [.. batch, .. aOwn, .. summed]);
        var pb = Permute(b, [.. batch, .. bOwn, .. summed]);
        int Size(Labeled<T> x, int[] ls) => ls.Aggregate(1, (p, l) => p * x.Shape[Array.IndexOf(x.Labels, l)]);
        int nb = Size(pa, batch), m = Size(pa, aOwn), n = Size(pb, bOwn), k = Size(pa, summed);
        var r = new T[nb * m * n];
        for (int q = 0; q < nb; q++)
            for (int i = 0; i < m; i++)
            {
                var row = pa.Data.AsSpan((q * m + i) * k, k);
                for (int j = 0; j < n; j++) r[(q * m + i) * n + j] = TP.Dot<T>(row, pb.Data.AsSpan((q * n + j) * k, k));
            }
        int[] labels = [.. batch, .. aOwn, .. bOwn];
        var shape = labels.Select(l => a.Labels.Contains(l) ? a.Shape[Array.IndexOf(a.Labels, l)] : b.Shape[Array.IndexOf(b.Labels, l)]).ToArray();
        return new Labeled<T>(r, shape, labels);
    }
}
