using LowBit.Kernels.Gemm;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Layers;

/// <summary>
/// Captures a layer's <see cref="LayerData"/> in one pass of <see cref="QuantSimulation"/> over the kept samples. Memory is
/// bounded independently of the sample count: about <see cref="TargetRows"/> sampled rows per group (spread evenly over
/// the samples, random positions within each), and at most <see cref="MaxHessianPositions"/> positions per sample enter
/// the Hessian and the means (evenly strided), each added to a [Cols, Cols] accumulator. With
/// <see cref="LayerNeeds.ImportanceOf"/> each Hessian vector is scaled by its token's importance first (RSQ); a batch whose
/// rows do not map to the attention's tokens adds unweighted vectors, and <see cref="LayerData.TokenWeighted"/> is then false.
/// </summary>
internal static class LayerCapture
{
    public const int TargetRows = 4096;
    public const int MaxHessianPositions = 4096;

    public static LayerData Run(QuantSimulation sim, LinearLayer layer, LayerNeeds needs, bool quantizedInputs, Random rng, CancellationToken ct)
    {
        int groups = layer.Groups, cols = layer.Cols, samples = sim.SampleCount;
        int perSample = Math.Max(1, (TargetRows + samples - 1) / samples);
        var fRows = Enumerable.Range(0, groups).Select(_ => new List<float[]>()).ToArray();
        var qRows = Enumerable.Range(0, groups).Select(_ => new List<float[]>()).ToArray();
        var hessian = needs.Hessian ? Enumerable.Range(0, groups).Select(_ => new double[cols * cols]).ToArray() : null;
        var diagonal = needs.Diagonal && hessian is null ? Enumerable.Range(0, groups).Select(_ => new double[cols]).ToArray() : null;
        var fMean = needs.Means ? Enumerable.Range(0, groups).Select(_ => new double[cols]).ToArray() : null;
        var qMean = needs.Means ? Enumerable.Range(0, groups).Select(_ => new double[cols]).ToArray() : null;
        bool dense = needs.Hessian || needs.Means || needs.Diagonal;
        long meanCount = 0;
        int rowCount = 0;
        bool weighted = needs.ImportanceOf is not null;
        string[] names = needs.ImportanceOf is { } att ? [layer.Input, att] : [layer.Input];
        sim.RunBatched(names, quantizedInputs, (count, f, q) =>
        {
            var pf = new Patches(layer, f[layer.Input]);
            var pq = q is null ? pf : new Patches(layer, q[layer.Input]);
            if (pq.Positions != pf.Positions)
                throw new LowBitException(ErrorKind.InvalidModel, $"{layer.Key}: the float and quantized models give inputs of different sizes");
            int n = Math.Min(perSample * count, pf.Positions);
            var chosen = Sample(pf.Positions, n, rng);
            rowCount += n;
            if (!dense && !needs.Rows) return;
            int stride = Math.Max(1, (pf.Positions + MaxHessianPositions * count - 1) / (MaxHessianPositions * count));
            var all = Enumerable.Range(0, (pf.Positions + stride - 1) / stride).Select(i => i * stride).ToArray();
            meanCount += all.Length;
            var importance = needs.Hessian && needs.ImportanceOf is { } a ? TokenImportance.PerRow(f[a], pf.Positions) : null;
            if (importance is null) weighted = false;
            for (int g = 0; g < groups; g++)
            {
                if (needs.Rows)
                {
                    fRows[g].Add(pf.Gather(chosen, g));
                    qRows[g].Add(ReferenceEquals(pq, pf) ? fRows[g][^1] : pq.Gather(chosen, g));
                }
                if (!dense) continue;
                var xq = pq.Gather(all, g);
                if (hessian is not null) AddGram(importance is null ? xq : Scaled(xq, all, importance, cols), all.Length, cols, hessian[g]);
                if (diagonal is not null) AddColumnSquares(xq, cols, diagonal[g]);
                if (fMean is null || qMean is null) continue;
                AddColumnSums(ReferenceEquals(pq, pf) ? xq : pf.Gather(all, g), cols, fMean[g]);
                AddColumnSums(xq, cols, qMean[g]);
            }
        }, ct);
        if (fMean is not null && qMean is not null)
            for (int g = 0; g < groups; g++)
                for (int k = 0; k < cols; k++) { fMean[g][k] /= meanCount; qMean[g][k] /= meanCount; }
        if (hessian is not null)
            foreach (var h in hessian)
                for (int i = 0; i < h.Length; i++) h[i] /= meanCount;
        if (diagonal is not null)
            foreach (var d in diagonal)
                for (int k = 0; k < cols; k++) d[k] /= meanCount;
        diagonal ??= hessian?.Select(h => Enumerable.Range(0, cols).Select(k => h[k * cols + k]).ToArray()).ToArray();
        return new LayerData
        {
            RowCount = needs.Rows ? rowCount : 0,
            FloatRows = fRows.Select(Concat).ToArray(),
            QuantRows = qRows.Select(Concat).ToArray(),
            Hessian = hessian,
            HessianDiagonal = diagonal,
            FloatMean = fMean,
            QuantMean = qMean,
            HessianVectors = meanCount,
            TokenWeighted = hessian is not null && weighted,
        };
    }

    /// <summary><paramref name="n"/> distinct positions of [0, count), in increasing order.</summary>
    private static int[] Sample(int count, int n, Random rng)
    {
        if (n >= count) return Enumerable.Range(0, count).ToArray();
        var set = new HashSet<int>();
        while (set.Count < n) set.Add(rng.Next(count));
        var a = set.ToArray();
        Array.Sort(a);
        return a;
    }

    /// <summary>Row i of <paramref name="x"/> times the importance of the position it was gathered from.</summary>
    private static float[] Scaled(float[] x, int[] positions, float[] importance, int cols)
    {
        var r = new float[x.Length];
        for (int i = 0; i < positions.Length; i++)
        {
            float s = importance[positions[i]];
            for (int k = 0; k < cols; k++) r[i * cols + k] = x[i * cols + k] * s;
        }
        return r;
    }

    private static void AddColumnSquares(float[] x, int cols, double[] sums)
    {
        for (int r = 0, rows = x.Length / cols; r < rows; r++)
            for (int k = 0; k < cols; k++) sums[k] += (double)x[r * cols + k] * x[r * cols + k];
    }

    private static void AddColumnSums(float[] x, int cols, double[] sums)
    {
        for (int r = 0, rows = x.Length / cols; r < rows; r++)
            for (int k = 0; k < cols; k++) sums[k] += x[r * cols + k];
    }

    /// <summary>H += Xᵀ·X for X [rows, cols] (float32 product per call, accumulated in double across calls).</summary>
    private static void AddGram(float[] x, int rows, int cols, double[] h)
    {
        var g = new float[cols * cols];
        GemmF32.Gemm(true, false, cols, cols, rows, 1f, x, cols, x, cols, 0f, g, cols);
        for (int i = 0; i < g.Length; i++) h[i] += g[i];
    }

    private static float[] Concat(List<float[]> parts)
    {
        var r = new float[parts.Sum(p => p.Length)];
        int o = 0;
        foreach (var p in parts) { p.CopyTo(r, o); o += p.Length; }
        return r;
    }
}
