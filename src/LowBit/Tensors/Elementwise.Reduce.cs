using LowBit.Kernels;

namespace LowBit.Tensors;

internal static partial class Elementwise
{
    /// <summary>Normalizes reduction axes (negative counts from the end; duplicates rejected). Empty means all axes.</summary>
    public static int[] NormalizeAxes(IEnumerable<long> axes, int rank)
    {
        var r = new SortedSet<int>();
        foreach (long a in axes)
        {
            long k = a < 0 ? a + rank : a;
            if (k < 0 || k >= Math.Max(rank, 1)) throw new ArgumentException($"axis {a} is out of range for rank {rank}");
            if (!r.Add((int)k)) throw new ArgumentException($"axis {a} is repeated");
        }
        if (r.Count == 0) for (int i = 0; i < rank; i++) r.Add(i);
        return r.ToArray();
    }

    /// <summary>Shape after reducing <paramref name="axes"/> (kept as 1s or dropped).</summary>
    public static int[] ReducedShape(int[] shape, int[] axes, bool keepDims)
    {
        var r = new List<int>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (Array.IndexOf(axes, i) < 0) r.Add(shape[i]);
            else if (keepDims) r.Add(1);
        }
        return r.ToArray();
    }

    /// <summary>
    /// Reduces <paramref name="x"/> over the sorted <paramref name="axes"/> with ⊕ = <typeparamref name="TOp"/>.
    /// The dims are grouped into runs of kept and reduced dims (size-1 dims dropped); each reduced run is removed in
    /// turn, innermost first, as a [outer, r, inner] → [outer, inner] pass: rows (inner = 1) reduce contiguously, otherwise
    /// whole inner blocks accumulate element-wise. Both are TensorPrimitives loops.
    /// </summary>
    public static Tensor Reduce<T, TOp>(Tensor x, int[] axes, bool keepDims) where TOp : IReduceOp<T>
    {
        var outShape = ReducedShape(x.Shape, axes, keepDims);
        var result = Tensor.Empty(x.DType, outShape);
        var groups = new List<(int Size, bool Reduced)>();
        for (int i = 0; i < x.Rank; i++)
        {
            bool red = Array.IndexOf(axes, i) >= 0;
            int size = x.Shape[i];
            if (size == 1) continue;
            if (groups.Count > 0 && groups[^1].Reduced == red) groups[^1] = (groups[^1].Size * size, red);
            else groups.Add((size, red));
        }
        var src = (T[])x.Data;
        var dst = (T[])result.Data;
        if (result.Length == 0) return result;
        if (!groups.Any(g => g.Reduced))
        {
            // Reducing only size-1 dims (or nothing): a copy. A zero-size reduced dim left a group, so this is not empty.
            System.Array.Copy(src, dst, result.Length);
            return result;
        }
        T[] cur = src;
        while (true)
        {
            int g = groups.FindLastIndex(p => p.Reduced);
            int outer = 1, inner = 1;
            for (int i = 0; i < g; i++) outer *= groups[i].Size;
            for (int i = g + 1; i < groups.Count; i++) inner *= groups[i].Size;
            bool last = groups.Count(p => p.Reduced) == 1;
            var next = last ? dst : new T[outer * inner];
            ReducePass<T, TOp>(cur, outer, groups[g].Size, inner, next);
            groups.RemoveAt(g);
            cur = next;
            if (last) return result;
        }
    }

    /// <summary>dst[o, i] = ⊕_j src[o, j, i] for a contiguous [outer, r, inner] block.</summary>
    private static void ReducePass<T, TOp>(T[] src, int outer, int r, int inner, T[] dst) where TOp : IReduceOp<T>
    {
        if (r == 0)
        {
            dst.AsSpan(0, outer * inner).Fill(TOp.Identity);
            return;
        }
        long work = (long)outer * r * inner;
        bool parallel = work >= 2 * ParallelGrain && Parallelism.Degree > 1;
        if (inner == 1)
        {
            Parallelism.ForRange(outer, parallel ? Math.Max(1, ParallelGrain / r) : int.MaxValue, (o0, o1) =>
            {
                for (int o = o0; o < o1; o++) dst[o] = TOp.Row(src.AsSpan(o * r, r));
            });
            return;
        }
        if (outer == 1 && parallel)
        {
            // One block: split its columns instead.
            Parallelism.ForRange(inner, Math.Max(64, ParallelGrain / r), (c0, c1) => AccumulateBlock<T, TOp>(src, 0, r, inner, dst, c0, c1));
            return;
        }
        Parallelism.ForRange(outer, parallel ? Math.Max(1, ParallelGrain / (r * inner)) : int.MaxValue, (o0, o1) =>
        {
            for (int o = o0; o < o1; o++) AccumulateBlock<T, TOp>(src, o, r, inner, dst, 0, inner);
        });
    }

    private static void AccumulateBlock<T, TOp>(T[] src, int o, int r, int inner, T[] dst, int c0, int c1) where TOp : IReduceOp<T>
    {
        int width = c1 - c0;
        var acc = dst.AsSpan(o * inner + c0, width);
        long baseIndex = (long)o * r * inner + c0;
        src.AsSpan((int)baseIndex, width).CopyTo(acc);
        for (int j = 1; j < r; j++) TOp.Accumulate(src.AsSpan((int)(baseIndex + (long)j * inner), width), acc);
    }
}
