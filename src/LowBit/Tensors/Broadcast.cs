namespace LowBit.Tensors;

/// <summary>ONNX (numpy) multidirectional broadcasting: shapes are right-aligned; each dim pair must be equal or one of them 1.</summary>
public static class Broadcast
{
    public static int[] Shape(params int[][] shapes)
    {
        int rank = shapes.Max(s => s.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int d = 1;
            foreach (var s in shapes)
            {
                int k = i - (rank - s.Length);
                if (k < 0) continue;
                int v = s[k];
                if (v == d || v == 1) continue;
                if (d == 1) d = v;
                else throw new ArgumentException($"shapes {string.Join(" and ", shapes.Select(x => "[" + string.Join(",", x) + "]"))} cannot be broadcast");
            }
            r[i] = d;
        }
        // A zero-size dim broadcasts against 1 only; d stays 0 when any input has 0 there.
        for (int i = 0; i < rank; i++)
            foreach (var s in shapes)
            {
                int k = i - (rank - s.Length);
                if (k >= 0 && s[k] == 0) r[i] = 0;
            }
        return r;
    }

    /// <summary>Element strides of <paramref name="shape"/> viewed in the broadcast <paramref name="outShape"/> (0 where broadcast).</summary>
    public static int[] Strides(int[] shape, int[] outShape)
    {
        var strides = new int[outShape.Length];
        int stride = 1;
        for (int i = outShape.Length - 1, k = shape.Length - 1; i >= 0; i--, k--)
        {
            if (k >= 0)
            {
                strides[i] = shape[k] == 1 ? 0 : stride;
                stride *= shape[k];
            }
        }
        return strides;
    }

    /// <summary>For each output element (row-major), the source element index in a tensor of <paramref name="shape"/>.</summary>
    public static int[] SourceIndex(int[] shape, int[] outShape)
    {
        long n = Tensor.ElementCount(outShape);
        var strides = Strides(shape, outShape);
        var map = new int[n];
        var idx = new int[outShape.Length];
        int src = 0;
        for (int i = 0; i < n; i++)
        {
            map[i] = src;
            for (int d = outShape.Length - 1; d >= 0; d--)
            {
                idx[d]++;
                src += strides[d];
                if (idx[d] < outShape[d]) break;
                src -= strides[d] * idx[d];
                idx[d] = 0;
            }
        }
        return map;
    }

    /// <summary>Row-major strides of a contiguous tensor.</summary>
    public static int[] ContiguousStrides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }
}
