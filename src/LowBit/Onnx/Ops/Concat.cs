using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Concat and Split along one axis. A tensor is viewed as [outer, dim·inner] around the axis, so both are
/// one strided block copy per input/output.</summary>
internal static class ConcatOps
{
    /// <summary>Concat-1: axis optional, default 1.</summary>
    [Op("Concat", 1)]
    public static Tensor ConcatV1(long axis = 1, params Tensor[] inputs) => DoConcat(inputs, axis);

    [Op("Concat", 4)]
    public static Tensor Concat(long axis, params Tensor[] inputs) => DoConcat(inputs, axis);

    internal static Tensor DoConcat(Tensor?[] inputs, long axis)
    {
        if (inputs.Length == 0 || inputs.Any(t => t is null)) throw new ArgumentException("Concat needs at least one input and no omitted inputs");
        var first = inputs[0]!;
        int r = first.Rank, a = ShapeArgs.Axis(axis, r);
        long total = 0;
        foreach (var t in inputs)
        {
            if (t!.DType != first.DType) throw new ArgumentException($"Concat: inputs mix {first.DType.Name()} and {t.DType.Name()}");
            if (t.Rank != r) throw new ArgumentException($"Concat: inputs have ranks {r} and {t.Rank}");
            for (int d = 0; d < r; d++)
                if (d != a && t.Shape[d] != first.Shape[d])
                    throw new ArgumentException($"Concat: shapes {first.ShapeString} and {t.ShapeString} differ outside axis {a}");
            total += t.Shape[a];
        }
        var shape = (int[])first.Shape.Clone();
        shape[a] = (int)Math.Min(total, Tensor.MaxElements + 1L);
        ShapeArgs.Dims(shape.Select(d => (long)d).ToArray(), "Concat");
        var y = Tensor.Empty(Elements.Unpack(first).DType, shape);
        int outer = ShapeArgs.Product(shape, 0, a), inner = ShapeArgs.Product(shape, a + 1, r), outBlock = shape[a] * inner;
        int offset = 0;
        foreach (var t in inputs)
        {
            var u = Elements.Unpack(t!);
            int block = t!.Shape[a] * inner;
            Elements.StridedCopy(u, 0, new long[] { block, 1 }, y, offset, new long[] { outBlock, 1 }, new[] { outer, block });
            offset += block;
        }
        return Elements.Repack(y, first.DType);
    }

    /// <summary>Split-1: sizes from the optional second input or the 'split' attribute.</summary>
    [Op("Split", 1)]
    public static Tensor?[] SplitV1(OpContext ctx, Tensor input, Tensor? split = null, long axis = 0, [Attr("split")] long[]? splitAttr = null) =>
        DoSplit(ctx, input, axis, split is not null ? ShapeArgs.Longs(split) : splitAttr, null);

    /// <summary>Split-2/11: sizes as attribute.</summary>
    [Op("Split", 2)]
    public static Tensor?[] SplitV2(OpContext ctx, Tensor input, long axis = 0, long[]? split = null) =>
        DoSplit(ctx, input, axis, split, null);

    [Op("Split", 13)]
    public static Tensor?[] SplitV13(OpContext ctx, Tensor input, Tensor? split = null, long axis = 0) =>
        DoSplit(ctx, input, axis, split is null ? null : ShapeArgs.Longs(split), null);

    [Op("Split", 18)]
    public static Tensor?[] Split(OpContext ctx, Tensor input, Tensor? split = null, long axis = 0, long? num_outputs = null)
    {
        if (split is not null && num_outputs is not null) throw new ArgumentException("Split: give either the 'split' input or 'num_outputs', not both");
        return DoSplit(ctx, input, axis, split is null ? null : ShapeArgs.Longs(split), num_outputs);
    }

    private static Tensor?[] DoSplit(OpContext ctx, Tensor input, long axis, long[]? sizes, long? numOutputs)
    {
        int a = ShapeArgs.Axis(axis, input.Rank);
        int dim = input.Shape[a], n = ctx.OutputCount;
        if (sizes is null)
        {
            sizes = new long[n];
            if (numOutputs is long k)
            {
                // Split-18: chunks of ceil(dim / k), the last one smaller.
                if (k != n) throw new ArgumentException($"Split: num_outputs {k} but the node has {n} outputs");
                long chunk = (dim + k - 1) / k;
                for (int i = 0; i < n; i++) sizes[i] = Math.Clamp(dim - i * chunk, 0, chunk);
            }
            else
            {
                if (n == 0 || dim % n != 0) throw new ArgumentException($"Split: dim {dim} of {input.ShapeString} does not split evenly into {n} outputs");
                Array.Fill(sizes, dim / n);
            }
        }
        if (sizes.Length != n) throw new ArgumentException($"Split: {sizes.Length} sizes for {n} outputs");
        if (sizes.Any(s => s < 0) || sizes.Sum() != dim)
            throw new ArgumentException($"Split: sizes [{string.Join(",", sizes)}] do not add up to dim {dim} of {input.ShapeString}");
        var u = Elements.Unpack(input);
        var outs = new Tensor?[n];
        int start = 0;
        for (int i = 0; i < n; i++)
        {
            if (ctx.WantsOutput(i)) outs[i] = Elements.Repack(Narrow(u, a, start, (int)sizes[i]), input.DType);
            start += (int)sizes[i];
        }
        return outs;
    }

    /// <summary>Elements [start, start+len) of axis <paramref name="a"/> as a new contiguous tensor.</summary>
    internal static Tensor Narrow(Tensor u, int a, int start, int len)
    {
        var shape = (int[])u.Shape.Clone();
        shape[a] = len;
        var y = Tensor.Empty(u.DType, shape);
        int outer = ShapeArgs.Product(shape, 0, a), inner = ShapeArgs.Product(shape, a + 1, shape.Length);
        int inBlock = u.Shape[a] * inner, block = len * inner;
        Elements.StridedCopy(u, (long)start * inner, new long[] { inBlock, 1 }, y, 0, new long[] { block, 1 }, new[] { outer, block });
        return y;
    }
}
