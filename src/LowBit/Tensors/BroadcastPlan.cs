namespace LowBit.Tensors;

/// <summary>
/// How to walk k contiguous row-major operands broadcast to one output shape, row by row. Output dims of size 1 are
/// dropped and adjacent dims are merged wherever every operand is contiguous across them
/// (<c>s[i] = s[i+1]·d[i+1]</c>, which also holds when both strides are 0), so e.g. <c>[N,C,H,W] + [C,1,1]</c> becomes
/// dims <c>[N, C, H·W]</c> with strides <c>a: (C·H·W, H·W, 1)</c>, <c>b: (0, 1, 0)</c>. The innermost dim is the row;
/// each operand's row stride is then 1 (walks) or 0 (repeats one element).
/// </summary>
internal sealed class BroadcastPlan
{
    /// <summary>Dims, outermost first; at least one (a scalar output is one row of one element).</summary>
    public int[] Dims { get; }
    /// <summary>Per operand, per dim: element stride (0 where broadcast).</summary>
    public int[][] Strides { get; }
    public int Inner => Dims[^1];
    public int Rows { get; }

    private BroadcastPlan(int[] dims, int[][] strides)
    {
        Dims = dims;
        Strides = strides;
        long rows = 1;
        for (int i = 0; i < dims.Length - 1; i++) rows *= dims[i];
        Rows = (int)rows;
    }

    /// <summary>The collapsed plan (the fast general path).</summary>
    public static BroadcastPlan Create(int[] outShape, params int[][] shapes) => Build(outShape, shapes, collapse: true);

    /// <summary>The plan over the full output rank with no merging (reference for tests of the collapsed plan).</summary>
    public static BroadcastPlan Uncollapsed(int[] outShape, params int[][] shapes) => Build(outShape, shapes, collapse: false);

    private static BroadcastPlan Build(int[] outShape, int[][] shapes, bool collapse)
    {
        int k = shapes.Length;
        var full = shapes.Select(s => Broadcast.Strides(s, outShape)).ToArray();
        var dims = new List<int>();
        var strides = Enumerable.Range(0, k).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < outShape.Length; i++)
        {
            if (collapse && outShape[i] == 1) continue;
            dims.Add(outShape[i]);
            for (int j = 0; j < k; j++) strides[j].Add(full[j][i]);
        }
        if (collapse)
        {
            // Merge from the inside out: dim i joins dim i+1 when every operand is contiguous across the pair.
            for (int i = dims.Count - 2; i >= 0; i--)
            {
                bool mergeable = true;
                for (int j = 0; j < k && mergeable; j++)
                    mergeable = strides[j][i] == strides[j][i + 1] * dims[i + 1];
                if (!mergeable) continue;
                dims[i] *= dims[i + 1];
                dims.RemoveAt(i + 1);
                for (int j = 0; j < k; j++) strides[j].RemoveAt(i);
            }
        }
        if (dims.Count == 0)
        {
            dims.Add(1);
            for (int j = 0; j < k; j++) strides[j].Add(0);
        }
        return new BroadcastPlan(dims.ToArray(), strides.Select(s => s.ToArray()).ToArray());
    }

    /// <summary>Sets <paramref name="index"/> (outer dims) and each operand's element offset to the start of <paramref name="row"/>.</summary>
    public void Seek(int row, Span<int> index, Span<int> offsets)
    {
        offsets.Clear();
        for (int d = Dims.Length - 2; d >= 0; d--)
        {
            int i = row % Dims[d];
            row /= Dims[d];
            index[d] = i;
            for (int j = 0; j < offsets.Length; j++) offsets[j] += i * Strides[j][d];
        }
    }

    /// <summary>Moves <paramref name="index"/> and the offsets to the next row (odometer over the outer dims).</summary>
    public void Next(Span<int> index, Span<int> offsets)
    {
        for (int d = Dims.Length - 2; d >= 0; d--)
        {
            for (int j = 0; j < offsets.Length; j++) offsets[j] += Strides[j][d];
            if (++index[d] < Dims[d]) return;
            for (int j = 0; j < offsets.Length; j++) offsets[j] -= Strides[j][d] * Dims[d];
            index[d] = 0;
        }
    }

    /// <summary>Row stride (0 or 1) of operand <paramref name="j"/>.</summary>
    public int RowStride(int j) => Strides[j][^1];
}
