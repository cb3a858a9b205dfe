using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Replication: Expand (numpy broadcast to a shape) and Tile. Both are one strided copy whose source strides
/// are 0 along replicated dims.</summary>
internal static class ExpandOps
{
    [Op("Expand", 8)]
    public static Tensor Expand(Tensor input, Tensor shape)
    {
        var target = ShapeArgs.Dims(ShapeArgs.Longs(shape), "Expand");
        var outShape = Broadcast.Shape(input.Shape, target);
        var u = Elements.Unpack(input);
        var y = Tensor.Empty(u.DType, outShape);
        var src = Broadcast.Strides(input.Shape, outShape).Select(s => (long)s).ToArray();
        Elements.StridedCopy(u, 0, src, y, 0, ShapeArgs.Strides(outShape), outShape);
        return Elements.Repack(y, input.DType);
    }

    [Op("Tile", 6)]
    public static Tensor Tile(Tensor input, Tensor repeats)
    {
        var reps = ShapeArgs.Longs(repeats);
        if (reps.Length != input.Rank)
            throw new ArgumentException($"Tile: {reps.Length} repeats for rank {input.Rank}");
        return DoTile(input, reps);
    }

    /// <summary>Tile-1: repeats <paramref name="tiles"/> times along the scalar <paramref name="axis"/>.</summary>
    [Op("Tile", 1)]
    public static Tensor TileV1(Tensor input, Tensor tiles, Tensor axis)
    {
        int a = ShapeArgs.Axis(ShapeArgs.Longs(axis)[0], input.Rank);
        var reps = Enumerable.Repeat(1L, input.Rank).ToArray();
        reps[a] = ShapeArgs.Longs(tiles)[0];
        return DoTile(input, reps);
    }

    /// <summary>The output viewed as [r_0, n_0, r_1, n_1, ...]: source strides (0, s_k), destination strides
    /// (n_k·S_k, S_k) with S the output's row-major strides.</summary>
    private static Tensor DoTile(Tensor input, long[] reps)
    {
        int r = input.Rank;
        var outDims = new long[r];
        for (int d = 0; d < r; d++)
        {
            if (reps[d] < 0) throw new ArgumentException($"Tile: negative repeat {reps[d]}");
            // Saturate so hostile repeats fail in the shape check rather than overflow.
            outDims[d] = reps[d] > Tensor.MaxElements ? reps[d] : input.Shape[d] * reps[d];
        }
        var outShape = ShapeArgs.Dims(outDims, "Tile");
        var u = Elements.Unpack(input);
        var y = Tensor.Empty(u.DType, outShape);
        var inStrides = ShapeArgs.Strides(input.Shape);
        var outStrides = ShapeArgs.Strides(outShape);
        var view = new int[2 * r];
        var src = new long[2 * r];
        var dst = new long[2 * r];
        for (int d = 0; d < r; d++)
        {
            view[2 * d] = (int)reps[d];
            view[2 * d + 1] = input.Shape[d];
            src[2 * d + 1] = inStrides[d];
            dst[2 * d] = input.Shape[d] * outStrides[d];
            dst[2 * d + 1] = outStrides[d];
        }
        Elements.StridedCopy(u, 0, src, y, 0, dst, view);
        return Elements.Repack(y, input.DType);
    }
}
