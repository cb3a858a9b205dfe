using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Slice (strided sub-tensor) with the ONNX clamping rules.</summary>
internal static class SliceOps
{
    /// <summary>Slice-1: starts/ends/axes as attributes, unit steps.</summary>
    [Op("Slice", 1)]
    public static Tensor SliceV1(Tensor data, long[] starts, long[] ends, long[]? axes = null) =>
        DoSlice(data, starts, ends, axes, null);

    [Op("Slice", 10)]
    public static Tensor Slice(Tensor data, Tensor starts, Tensor ends, Tensor? axes = null, Tensor? steps = null) =>
        DoSlice(data, ShapeArgs.Longs(starts), ShapeArgs.Longs(ends), axes is null ? null : ShapeArgs.Longs(axes), steps is null ? null : ShapeArgs.Longs(steps));

    internal static Tensor DoSlice(Tensor data, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        int r = data.Rank, n = starts.Length;
        if (ends.Length != n || (axes is not null && axes.Length != n) || (steps is not null && steps.Length != n))
            throw new ArgumentException($"Slice: starts, ends, axes and steps must have equal lengths ({n}, {ends.Length}, {axes?.Length}, {steps?.Length})");
        var ax = axes is null ? Enumerable.Range(0, n).ToArray() : ShapeArgs.Axes(axes, r);
        if (axes is null && n > r) throw new ArgumentException($"Slice: {n} starts for rank {r}");
        var begin = new long[r];
        var step = new long[r];
        var shape = (int[])data.Shape.Clone();
        Array.Fill(step, 1);
        for (int i = 0; i < n; i++)
        {
            int a = ax[i];
            long st = steps?[i] ?? 1;
            var (s, count) = Range(starts[i], ends[i], st, data.Shape[a]);
            begin[a] = s;
            step[a] = st;
            shape[a] = (int)count;
        }
        var strides = ShapeArgs.Strides(data.Shape);
        long off = 0;
        var src = new long[r];
        for (int d = 0; d < r; d++)
        {
            if (shape[d] > 0) off += begin[d] * strides[d];
            src[d] = strides[d] * step[d];
        }
        var u = Elements.Unpack(data);
        var y = Tensor.Empty(u.DType, shape);
        Elements.StridedCopy(u, off, src, y, 0, ShapeArgs.Strides(shape), shape);
        return Elements.Repack(y, data.DType);
    }

    /// <summary>
    /// First index and element count of start:end:step over a dim of size d. Negative start/end count from the end
    /// (INT64_MIN/MAX included, no overflow since |d| ≤ 2^31); then step &gt; 0 clamps start, end to [0, d],
    /// step &lt; 0 clamps start to [0, d−1] and end to [−1, d−1]; count = max(0, ⌈(end − start)/step⌉).
    /// </summary>
    internal static (long Start, long Count) Range(long start, long end, long step, long d)
    {
        if (step == 0) throw new ArgumentException("Slice: step must not be 0");
        if (d == 0) return (0, 0);
        if (start < 0) start += d;
        if (end < 0) end += d;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, d);
            end = Math.Clamp(end, 0, d);
            return (start, end > start ? (end - start - 1) / step + 1 : 0);
        }
        start = Math.Clamp(start, 0, d - 1);
        end = Math.Clamp(end, -1, d - 1);
        // ⌈span/|step|⌉ as (span − 1)/|step| + 1: no overflow for |step| up to 2^63 (−INT64_MIN saturates).
        long span = start - end, mag = step == long.MinValue ? long.MaxValue : -step;
        return (start, span > 0 ? (span - 1) / mag + 1 : 0);
    }
}
