using LowBit.Tensors;

namespace LowBit.Onnx.Ops;

/// <summary>ReverseSequence: for batch b, out[t] = in[len_b − 1 − t] for t &lt; len_b along the time axis; later steps are copied.</summary>
internal static class ReverseSequenceOps
{
    [Op("ReverseSequence", 10)]
    public static Tensor ReverseSequence(Tensor input, Tensor sequence_lens, long batch_axis = 1, long time_axis = 0)
    {
        int r = input.Rank;
        if (r < 2) throw new ArgumentException($"ReverseSequence: input must have rank ≥ 2, got {input.ShapeString}");
        int ba = ShapeArgs.Axis(batch_axis, r, "batch_axis"), ta = ShapeArgs.Axis(time_axis, r, "time_axis");
        if (ba == ta) throw new ArgumentException("ReverseSequence: batch_axis and time_axis must differ");
        var lens = ShapeArgs.Longs(sequence_lens);
        int batch = input.Shape[ba], time = input.Shape[ta];
        if (lens.Length != batch) throw new ArgumentException($"ReverseSequence: {lens.Length} lengths for batch {batch}");
        foreach (long l in lens)
            if (l < 0 || l > time) throw new ArgumentException($"ReverseSequence: length {l} is out of range for {time} time steps");
        var u = Elements.Unpack(input);
        var y = Tensor.Empty(u.DType, u.Shape);
        var strides = ShapeArgs.Strides(u.Shape);
        var map = new int[u.Length];
        var idx = new int[r];
        for (int i = 0; i < map.Length; i++)
        {
            int t = idx[ta];
            long len = lens[idx[ba]];
            map[i] = (int)(i + (t < len ? (len - 1 - 2 * t) * strides[ta] : 0));
            for (int d = r - 1; d >= 0 && ++idx[d] == u.Shape[d]; d--) idx[d] = 0;
        }
        Elements.Gather(u, y, map);
        return Elements.Repack(y, input.DType);
    }
}
