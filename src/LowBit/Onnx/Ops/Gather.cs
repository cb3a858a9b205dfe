using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>Indexed reads: Gather, GatherElements, GatherND, Compress. Indices may be negative (counted from the end);
/// an index outside [−d, d) is an error, never a wrapped read.</summary>
internal static class GatherOps
{
    /// <summary>out[o, j.., i] = data[o, indices[j..], i] with o over dims before axis and i over dims after it.</summary>
    [Op("Gather", 1)]
    public static Tensor Gather(Tensor data, Tensor indices, long axis = 0)
    {
        int r = data.Rank, a = ShapeArgs.Axis(axis, r);
        var idx = Indices(indices, data.Shape[a], "Gather");
        var shape = data.Shape[..a].Concat(indices.Shape).Concat(data.Shape[(a + 1)..]).ToArray();
        var u = Elements.Unpack(data);
        var y = Tensor.Empty(u.DType, shape);
        int outer = ShapeArgs.Product(data.Shape, 0, a), inner = ShapeArgs.Product(data.Shape, a + 1, r), dim = data.Shape[a];
        if (inner == 1)
        {
            // Element-wise map: a block copy per element would cost a call per element.
            var map = new int[outer * idx.Length];
            for (int o = 0, k = 0; o < outer; o++)
                for (int j = 0; j < idx.Length; j++) map[k++] = o * dim + idx[j];
            Elements.Gather(u, y, map);
        }
        else
            for (int o = 0, k = 0; o < outer; o++)
                for (int j = 0; j < idx.Length; j++, k += inner)
                    Elements.Copy(u, (o * dim + idx[j]) * inner, y, k, inner);
        return Elements.Repack(y, data.DType);
    }

    /// <summary>Indices normalized to [0, d).</summary>
    internal static int[] Indices(Tensor indices, long d, string op)
    {
        var raw = ShapeArgs.Longs(indices);
        var r = new int[raw.Length];
        for (int i = 0; i < r.Length; i++)
        {
            long v = raw[i];
            if (v < -d || v >= d) throw new ArgumentException($"{op}: index {v} is out of range for a dim of size {d}");
            r[i] = (int)(v < 0 ? v + d : v);
        }
        return r;
    }

    /// <summary>out[i] = data[i with i_axis := indices[i]] (indices has the rank of data, dims no larger).</summary>
    [Op("GatherElements", 11)]
    public static Tensor GatherElements(Tensor data, Tensor indices, long axis = 0)
    {
        int r = data.Rank, a = ShapeArgs.Axis(axis, r);
        var map = ElementOffsets(data.Shape, indices, a, "GatherElements");
        var u = Elements.Unpack(data);
        var y = Tensor.Empty(u.DType, indices.Shape);
        Elements.Gather(u, y, map);
        return Elements.Repack(y, data.DType);
    }

    /// <summary>For each element position p of <paramref name="indices"/>, the flat offset into a tensor of
    /// <paramref name="shape"/> at p with coordinate <paramref name="a"/> replaced by indices[p] (GatherElements/ScatterElements).</summary>
    internal static int[] ElementOffsets(int[] shape, Tensor indices, int a, string op)
    {
        int r = shape.Length;
        if (indices.Rank != r) throw new ArgumentException($"{op}: indices {indices.ShapeString} must have rank {r}");
        for (int d = 0; d < r; d++)
            if (d != a && indices.Shape[d] > shape[d])
                throw new ArgumentException($"{op}: indices {indices.ShapeString} exceed data {ShapeArgs.Str(shape)} on dim {d}");
        var idx = Indices(indices, shape[a], op);
        var strides = ShapeArgs.Strides(shape);
        var map = new int[idx.Length];
        var pos = new int[r];
        long baseOff = 0;
        for (int i = 0; i < idx.Length; i++)
        {
            map[i] = (int)(baseOff + idx[i] * strides[a]);
            for (int d = r - 1; d >= 0; d--)
            {
                if (d != a) baseOff += strides[d];
                if (++pos[d] < indices.Shape[d]) break;
                if (d != a) baseOff -= strides[d] * pos[d];
                pos[d] = 0;
            }
        }
        return map;
    }

    /// <summary>GatherND: indices [..., k] address the first k dims after <paramref name="batch_dims"/> leading batch dims;
    /// out shape = indices.shape[:-1] + data.shape[batch_dims + k:].</summary>
    [Op("GatherND", 11)]
    public static Tensor GatherND(Tensor data, Tensor indices, long batch_dims = 0)
    {
        var (blocks, inner, shape) = NdOffsets(data.Shape, indices, batch_dims, "GatherND");
        var u = Elements.Unpack(data);
        var y = Tensor.Empty(u.DType, shape);
        for (int j = 0; j < blocks.Length; j++) Elements.Copy(u, blocks[j], y, j * inner, inner);
        return Elements.Repack(y, data.DType);
    }

    /// <summary>Start offsets in data of the blocks addressed by an ND index tensor, the block size, and the GatherND
    /// output shape (shared with ScatterND).</summary>
    internal static (int[] Offsets, int Inner, int[] Shape) NdOffsets(int[] dataShape, Tensor indices, long batchDims, string op)
    {
        int r = dataShape.Length, q = indices.Rank;
        if (q < 1) throw new ArgumentException($"{op}: indices must have rank ≥ 1");
        int k = indices.Shape[q - 1];
        if (batchDims < 0 || batchDims >= Math.Min(r, q))
            throw new ArgumentException($"{op}: batch_dims {batchDims} is out of range");
        int b = (int)batchDims;
        if (b + k > r) throw new ArgumentException($"{op}: index tuples of length {k} with {b} batch dims exceed data rank {r}");
        for (int d = 0; d < b; d++)
            if (indices.Shape[d] != dataShape[d]) throw new ArgumentException($"{op}: batch dim {d} differs: data {ShapeArgs.Str(dataShape)}, indices {indices.ShapeString}");
        var raw = ShapeArgs.Longs(indices);
        var strides = ShapeArgs.Strides(dataShape);
        int inner = ShapeArgs.Product(dataShape, b + k, r);
        int tuples = k == 0 ? ShapeArgs.Product(indices.Shape, 0, q - 1) : raw.Length / k;
        int perBatch = ShapeArgs.Product(indices.Shape, b, q - 1);
        int batchStride = ShapeArgs.Product(dataShape, b, r);
        var offsets = new int[tuples];
        for (int t = 0; t < tuples; t++)
        {
            long off = (long)(t / Math.Max(perBatch, 1)) * batchStride;
            for (int j = 0; j < k; j++)
            {
                long v = raw[t * k + j], d = dataShape[b + j];
                if (v < -d || v >= d) throw new ArgumentException($"{op}: index {v} is out of range for dim {b + j} of size {d}");
                off += (v < 0 ? v + d : v) * strides[b + j];
            }
            offsets[t] = (int)off;
        }
        var shape = indices.Shape[..(q - 1)].Concat(dataShape[(b + k)..]).ToArray();
        return (offsets, inner, shape);
    }

    /// <summary>Compress: keeps the slices along axis (or elements of the flattened input) whose condition is true;
    /// a condition shorter than the dim truncates the output.</summary>
    [Op("Compress", 9)]
    public static Tensor Compress(Tensor input, Tensor condition, long? axis = null)
    {
        if (condition.Rank != 1) throw new ArgumentException($"Compress: condition must be 1-D, got {condition.ShapeString}");
        var u = Elements.Unpack(input);
        if (axis is null) u = u.Reshape(u.Length);
        int a = axis is long ax ? ShapeArgs.Axis(ax, input.Rank) : 0;
        int dim = u.Shape[a];
        if (condition.Length > dim) throw new ArgumentException($"Compress: condition has {condition.Length} entries for a dim of size {dim}");
        var keep = new List<int>();
        for (int i = 0; i < condition.Length; i++) if (condition.GetDouble(i) != 0) keep.Add(i);
        var shape = (int[])u.Shape.Clone();
        shape[a] = keep.Count;
        var y = Tensor.Empty(u.DType, shape);
        int outer = ShapeArgs.Product(shape, 0, a), inner = ShapeArgs.Product(shape, a + 1, shape.Length);
        for (int o = 0, k = 0; o < outer; o++)
            foreach (int i in keep)
            {
                Elements.Copy(u, (o * dim + i) * inner, y, k, inner);
                k += inner;
            }
        return Elements.Repack(y, input.DType);
    }
}
