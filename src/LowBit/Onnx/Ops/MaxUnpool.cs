using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>
/// MaxUnpool (opset 9/11), the partial inverse of MaxPool: Y is zero except Y.flat[I[i]] = X.flat[i], where I holds
/// MaxPool's second output (indices into the whole flattened tensor, batch and channel included). Y's shape is
/// output_shape when given, else [N, C, (dᵢ − 1)·strideᵢ + kernelᵢ − pad_beginᵢ − pad_endᵢ …]. Repeated indices:
/// the later element wins.
/// </summary>
internal static class MaxUnpoolOps
{
    [Op("MaxUnpool", 9)]
    public static Tensor MaxUnpool(Tensor X, Tensor I, long[] kernel_shape, Tensor? output_shape = null, long[]? pads = null, long[]? strides = null)
    {
        int r = X.Rank, d = r - 2;
        if (r < 3) throw new ArgumentException($"MaxUnpool: X must be [N, C, spatial...], got {X.ShapeString}");
        if (!I.Shape.SequenceEqual(X.Shape)) throw new ArgumentException($"MaxUnpool: indices shape {I.ShapeString} differs from X {X.ShapeString}");
        if (kernel_shape.Length != d) throw new ArgumentException($"MaxUnpool: kernel_shape has {kernel_shape.Length} dims for {d} spatial dims");
        pads ??= new long[2 * d];
        strides ??= Enumerable.Repeat(1L, d).ToArray();
        if (pads.Length != 2 * d) throw new ArgumentException($"MaxUnpool: pads has {pads.Length} values, expected {2 * d}");
        if (strides.Length != d) throw new ArgumentException($"MaxUnpool: strides has {strides.Length} values, expected {d}");
        var dims = new long[r];
        dims[0] = X.Shape[0];
        dims[1] = X.Shape[1];
        for (int i = 0; i < d; i++)
        {
            if (kernel_shape[i] < 1 || strides[i] < 1) throw new ArgumentException($"MaxUnpool: kernel_shape and strides must be ≥ 1");
            dims[i + 2] = (X.Shape[i + 2] - 1) * strides[i] + kernel_shape[i] - pads[i] - pads[i + d];
        }
        if (output_shape is not null && output_shape.Length > 0)
        {
            var given = ShapeArgs.Longs(output_shape);
            if (given.Length != r || given[0] != dims[0] || given[1] != dims[1])
                throw new ArgumentException($"MaxUnpool: output_shape [{string.Join(",", given)}] must be [{dims[0]}, {dims[1]}, {d} spatial dims]");
            dims = given;
        }
        var shape = ShapeArgs.Dims(dims, "MaxUnpool");
        var u = Elements.Unpack(X);
        var y = Tensor.Zeros(u.DType, shape);
        var idx = ShapeArgs.Longs(I);
        var map = new int[idx.Length];
        for (int i = 0; i < idx.Length; i++)
        {
            if (idx[i] < 0 || idx[i] >= y.Length)
                throw new ArgumentException($"MaxUnpool: index {idx[i]} at position {i} is outside the output of {y.Length} elements {ShapeArgs.Str(shape)}");
            map[i] = (int)idx[i];
        }
        Elements.Scatter(u, y, map);
        return Elements.Repack(y, X.DType);
    }
}
