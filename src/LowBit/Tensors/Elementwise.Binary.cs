using LowBit.Kernels;

namespace LowBit.Tensors;

/// <summary>Which loop structure a broadcast operation uses (tests force <see cref="General"/> to compare paths).</summary>
internal enum BroadcastPath
{
    /// <summary>Fast paths when they apply (same shape, scalar operand, trailing row), else the collapsed general walk.</summary>
    Auto,
    /// <summary>Always the collapsed general walk.</summary>
    General,
    /// <summary>The general walk over the uncollapsed full-rank shape (slowest; a reference).</summary>
    Uncollapsed,
}

/// <summary>
/// Element-wise drivers: numpy broadcasting over contiguous row-major storage, with fast paths and a strided general
/// path, split across <see cref="Parallelism"/> for large outputs.
/// </summary>
internal static partial class Elementwise
{
    /// <summary>Elements per parallel part: below this, splitting a memory-bound loop costs more than it saves.</summary>
    public const int ParallelGrain = 1 << 15;

    /// <summary>Runs body(start, end) over [0, n), in parallel parts when <paramref name="n"/> is large.</summary>
    public static void Split(int n, Action<int, int> body)
    {
        if (n < 2 * ParallelGrain || Parallelism.Degree <= 1) body(0, n);
        else Unwrapped(() => Parallelism.ForRange(n, ParallelGrain, body));
    }

    /// <summary>Rethrows the first exception of a parallel loop as itself (e.g. integer division by zero), so the op
    /// binder reports it like a serial failure instead of as an AggregateException.</summary>
    private static void Unwrapped(Action parallel)
    {
        try
        {
            parallel();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    /// <summary>d = op(a, b) with broadcasting, into a new tensor of <paramref name="outType"/>.</summary>
    public static Tensor Binary<T, TR, TOp>(Tensor a, Tensor b, DType outType) where TOp : IBinaryOp<TOp, T, TR>
    {
        var shape = Broadcast.Shape(a.Shape, b.Shape);
        var r = Tensor.Empty(outType, shape);
        BinaryInto<T, TR, TOp>((T[])a.Data, a.Shape, (T[])b.Data, b.Shape, (TR[])r.Data, shape);
        return r;
    }

    /// <summary>d[0..n) = op(a, b) where a, b are contiguous arrays of the given shapes broadcast to <paramref name="shape"/>.</summary>
    public static void BinaryInto<T, TR, TOp>(T[] a, int[] aShape, T[] b, int[] bShape, TR[] d, int[] shape,
        BroadcastPath path = BroadcastPath.Auto) where TOp : IBinaryOp<TOp, T, TR>
    {
        int n = (int)Tensor.ElementCount(shape);
        if (n == 0) return;
        int na = (int)Tensor.ElementCount(aShape), nb = (int)Tensor.ElementCount(bShape);
        if (path == BroadcastPath.Auto)
        {
            // Equal counts under valid broadcasting mean equal layouts (missing dims are leading 1s).
            if (na == n && nb == n)
            {
                Split(n, (s, e) => TOp.SpanSpan(a.AsSpan(s, e - s), b.AsSpan(s, e - s), d.AsSpan(s, e - s)));
                return;
            }
            if (na == n && nb == 1)
            {
                T bv = b[0];
                Split(n, (s, e) => TOp.SpanScalar(a.AsSpan(s, e - s), bv, d.AsSpan(s, e - s)));
                return;
            }
            if (nb == n && na == 1)
            {
                T av = a[0];
                Split(n, (s, e) => TOp.ScalarSpan(av, b.AsSpan(s, e - s), d.AsSpan(s, e - s)));
                return;
            }
            // Trailing row: the small operand equals the output's trailing dims, so it repeats every row (bias add).
            if (na == n && nb > 0 && IsTrailingRow(bShape, shape))
            {
                Split(n / nb, (s, e) =>
                {
                    for (int r = s; r < e; r++) TOp.SpanSpan(a.AsSpan(r * nb, nb), b.AsSpan(0, nb), d.AsSpan(r * nb, nb));
                });
                return;
            }
            if (nb == n && na > 0 && IsTrailingRow(aShape, shape))
            {
                Split(n / na, (s, e) =>
                {
                    for (int r = s; r < e; r++) TOp.SpanSpan(a.AsSpan(0, na), b.AsSpan(r * na, na), d.AsSpan(r * na, na));
                });
                return;
            }
        }
        var plan = path == BroadcastPath.Uncollapsed ? BroadcastPlan.Uncollapsed(shape, aShape, bShape) : BroadcastPlan.Create(shape, aShape, bShape);
        int inner = plan.Inner;
        int sa = plan.RowStride(0), sb = plan.RowStride(1);
        ForRows(plan.Rows, n, inner, (r0, r1) =>
        {
            Span<int> index = stackalloc int[plan.Dims.Length];
            Span<int> off = stackalloc int[2];
            plan.Seek(r0, index, off);
            for (int r = r0; r < r1; r++)
            {
                var dst = d.AsSpan(r * inner, inner);
                if (sa == 1 && sb == 1) TOp.SpanSpan(a.AsSpan(off[0], inner), b.AsSpan(off[1], inner), dst);
                else if (sa == 1) TOp.SpanScalar(a.AsSpan(off[0], inner), b[off[1]], dst);
                else if (sb == 1) TOp.ScalarSpan(a[off[0]], b.AsSpan(off[1], inner), dst);
                else dst.Fill(TOp.Apply(a[off[0]], b[off[1]]));
                plan.Next(index, off);
            }
        });
    }

    /// <summary>True when <paramref name="small"/>, without its leading 1s, equals the trailing dims of <paramref name="shape"/>.</summary>
    private static bool IsTrailingRow(int[] small, int[] shape)
    {
        int lead = 0;
        while (lead < small.Length && small[lead] == 1) lead++;
        int k = small.Length - lead;
        if (k == 0 || k > shape.Length) return false;
        for (int i = 0; i < k; i++)
            if (small[lead + i] != shape[shape.Length - k + i]) return false;
        return true;
    }
}
