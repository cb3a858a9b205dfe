namespace LowBit.Quantization;

/// <summary>
/// A contiguous run of tensor elements and the parameters they use: element <c>Start + i</c> uses parameter
/// <c>Param + i·Step</c> (Step 0: one shared scale; Step 1: one scale per element, consecutive in the scale tensor).
/// </summary>
internal readonly record struct ParamRun(int Start, int Length, int Param, int Step);

/// <summary>
/// Splits a row-major tensor into <see cref="ParamRun"/>s for a granularity. Viewing the shape as [outer, K, inner]
/// around the axis, element (o, k, i) uses parameter k (per channel) or (o·⌈K/B⌉ + ⌊k/B⌋)·inner + i (per group, the
/// ONNX blocked layout). When inner = 1 parameters advance with the element (Step 1 runs); otherwise each inner row
/// shares one (Step 0), so run counts stay ≤ outer·K and typically far fewer.
/// </summary>
internal static class ParamLayout
{
    public static ParamRun[] Runs(ReadOnlySpan<int> shape, Granularity granularity)
    {
        int n = checked((int)Tensors.Tensor.ElementCount(shape));
        if (granularity is PerTensor) return n == 0 ? [] : [new ParamRun(0, n, 0, 0)];
        int axis = granularity switch
        {
            PerChannel c => Granularity.ResolveAxis(c.Axis, shape.Length),
            PerGroup g => Granularity.ResolveAxis(g.Axis, shape.Length),
            _ => throw new NotSupportedException(granularity.ToString()),
        };
        int outer = 1, inner = 1, k = shape[axis];
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
        if (n == 0) return [];
        var runs = new List<ParamRun>();
        if (granularity is PerChannel)
        {
            if (inner == 1)
                for (int o = 0; o < outer; o++) runs.Add(new ParamRun(o * k, k, 0, 1));
            else
                for (int o = 0; o < outer; o++)
                    for (int c = 0; c < k; c++) runs.Add(new ParamRun((o * k + c) * inner, inner, c, 0));
            return runs.ToArray();
        }
        int block = ((PerGroup)granularity).BlockSize, nb = (k + block - 1) / block;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
                for (int b = 0; b < nb; b++)
                    runs.Add(new ParamRun(o * k + b * block, Math.Min(block, k - b * block), o * nb + b, 0));
        }
        else
        {
            for (int o = 0; o < outer; o++)
                for (int kk = 0; kk < k; kk++)
                    runs.Add(new ParamRun((o * k + kk) * inner, inner, (o * nb + kk / block) * inner, 1));
        }
        return runs.ToArray();
    }
}
