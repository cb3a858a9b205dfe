using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Ops that only change the shape (outputs share the input's storage): Reshape, Flatten, Squeeze, Unsqueeze;
/// and shape queries: Shape, Size.</summary>
internal static class Reshaping
{
    /// <summary>Reshape-1/4: target shape as attribute.</summary>
    [Op("Reshape", 1)]
    public static Tensor ReshapeV1(Tensor data, long[]? shape = null) =>
        data.Reshape(Target(data.Shape, shape ?? Array.Empty<long>(), allowzero: false));

    [Op("Reshape", 5)]
    public static Tensor Reshape(Tensor data, Tensor shape, long allowzero = 0) =>
        data.Reshape(Target(data.Shape, ShapeArgs.Longs(shape), allowzero != 0));

    /// <summary>Resolves a Reshape target: 0 copies the input dim at that index (unless <paramref name="allowzero"/>),
    /// one −1 is inferred as |input| / Π(other dims).</summary>
    internal static int[] Target(int[] input, long[] spec, bool allowzero)
    {
        var dims = new long[spec.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < spec.Length; i++)
        {
            long d = spec[i];
            if (d == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape: shape [{string.Join(",", spec)}] has more than one -1");
                infer = i;
                continue;
            }
            if (d == 0 && !allowzero)
            {
                if (i >= input.Length) throw new ArgumentException($"Reshape: shape [{string.Join(",", spec)}] copies dim {i} (0) but the input {ShapeArgs.Str(input)} has rank {input.Length}");
                d = input[i];
            }
            else if (d < 0) throw new ArgumentException($"Reshape: invalid dimension {d} in shape [{string.Join(",", spec)}]");
            dims[i] = d;
            // Cap at MaxElements + 1 to avoid int64 overflow for hostile shapes; the count check below then fails.
            known = Math.Min(known * Math.Min(d, Tensor.MaxElements + 1), Tensor.MaxElements + 1);
        }
        long total = Tensor.ElementCount(input);
        if (infer >= 0)
        {
            if (allowzero && spec.Contains(0)) throw new ArgumentException($"Reshape: shape [{string.Join(",", spec)}] has both 0 (allowzero) and -1");
            if (known == 0 || total % known != 0)
                throw new ArgumentException($"Reshape: cannot infer -1 in [{string.Join(",", spec)}] for {total} elements (input {ShapeArgs.Str(input)})");
            dims[infer] = total / known;
        }
        else if (known != total)
            throw new ArgumentException($"Reshape: cannot reshape {ShapeArgs.Str(input)} ({total} elements) to [{string.Join(",", dims)}]");
        return ShapeArgs.Dims(dims, "Reshape");
    }

    [Op("Flatten", 1)]
    public static Tensor Flatten(Tensor input, long axis = 1)
    {
        int r = input.Rank;
        if (axis < -r || axis > r) throw new ArgumentException($"Flatten: axis {axis} is out of range for rank {r}");
        int a = (int)(axis < 0 ? axis + r : axis);
        return input.Reshape(ShapeArgs.Product(input.Shape, 0, a), ShapeArgs.Product(input.Shape, a, r));
    }

    /// <summary>Squeeze-1/11: axes as attribute.</summary>
    [Op("Squeeze", 1)]
    public static Tensor SqueezeV1(Tensor data, long[]? axes = null) => DoSqueeze(data, axes);

    [Op("Squeeze", 13)]
    public static Tensor Squeeze(Tensor data, Tensor? axes = null) =>
        DoSqueeze(data, axes is null || axes.Length == 0 ? null : ShapeArgs.Longs(axes));

    private static Tensor DoSqueeze(Tensor data, long[]? axes)
    {
        var shape = data.Shape;
        var drop = new bool[shape.Length];
        if (axes is null)
            for (int i = 0; i < shape.Length; i++) drop[i] = shape[i] == 1;
        else
            foreach (int a in ShapeArgs.Axes(axes, shape.Length))
            {
                if (shape[a] != 1) throw new ArgumentException($"Squeeze: dim {a} of {ShapeArgs.Str(shape)} is {shape[a]}, not 1");
                drop[a] = true;
            }
        return data.Reshape(shape.Where((_, i) => !drop[i]).ToArray());
    }

    /// <summary>Unsqueeze-1/11: axes as attribute.</summary>
    [Op("Unsqueeze", 1)]
    public static Tensor UnsqueezeV1(Tensor data, long[] axes) => DoUnsqueeze(data, axes);

    [Op("Unsqueeze", 13)]
    public static Tensor Unsqueeze(Tensor data, Tensor axes) => DoUnsqueeze(data, ShapeArgs.Longs(axes));

    /// <summary>Axes index the output (rank r + |axes|); the input dims fill the remaining positions in order.</summary>
    private static Tensor DoUnsqueeze(Tensor data, long[] axes)
    {
        int outRank = data.Rank + axes.Length;
        var inserted = new bool[outRank];
        foreach (int a in ShapeArgs.Axes(axes, outRank)) inserted[a] = true;
        var shape = new int[outRank];
        for (int i = 0, k = 0; i < outRank; i++) shape[i] = inserted[i] ? 1 : data.Shape[k++];
        return data.Reshape(shape);
    }

    /// <summary>Shape-15: dims [start, end) with negative values counted from the end and both clamped to [0, rank].</summary>
    [Op("Shape", 1)]
    public static Tensor Shape(Tensor data, long start = 0, long? end = null)
    {
        int r = data.Rank;
        long Clamp(long v) => Math.Clamp(v < 0 ? v + r : v, 0, r);
        int s = (int)Clamp(start), e = (int)Clamp(end ?? r);
        int n = Math.Max(0, e - s);
        var dims = new long[n];
        for (int i = 0; i < n; i++) dims[i] = data.Shape[s + i];
        return Tensor.FromArray(dims, n);
    }

    [Op("Size", 1)]
    public static Tensor Size(Tensor data) => Tensor.FromArray(new[] { (long)data.Length });
}
