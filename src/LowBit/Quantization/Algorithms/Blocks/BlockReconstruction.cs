using LowBit.Quantization.Algorithms.Layers;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms.Blocks;

/// <summary>Hard-rounded grid values per reconstructed layer ([Rows, Cols] each), and the block's relative output error
/// Σ(z − z_f)²/Σz_f² over every kept sample (whole inputs, no QDrop) with round to nearest and with the result.</summary>
internal sealed record BlockResult(IReadOnlyList<float[]> Weights, int Iterations, double ErrorNearest, double ErrorBrecq);

/// <summary>
/// The optimization of one block (objective in <see cref="Brecq"/>): Adam (Kingma &amp; Ba 2015; β₁ = 0.9, β₂ = 0.999,
/// ε = 10⁻⁸, lr = <see cref="Brecq.LearningRate"/>) on every V of the block through <see cref="TrainingSession"/>, the
/// gradient of a mini-batch of <see cref="Brecq.BatchSamples"/> samples accumulated one sample at a time (samples may
/// differ in shape). Gradient of the reconstruction term: ∂/∂z = 2(z − z_f)/positions inside the crop's exact window,
/// 0 outside it.
/// </summary>
internal static class BlockReconstruction
{
    public static BlockResult Run(Graph.Graph quantized, Block block, IReadOnlyList<SoftLayer> soft,
        IReadOnlyDictionary<string, QuantParams> activations, BlockData data, AlgorithmConfig config, int threads, Random rng,
        Action<string> report, CancellationToken ct)
    {
        int total = config.Iterations ?? Brecq.DefaultIterations;
        var first = data.Inputs[0];
        var train = BlockGraph.Build(quantized, block, soft, activations, first, soft: true, qdrop: true);
        var session = new TrainingSession(train, new SessionOptions { Threads = threads, Optimize = false }, config.Seed);
        string? reg = BlockGraph.Regularizer(train);
        var crop = BlockCrop.TryCreate(quantized, block, first[block.Input].Shape, Brecq.CropRows);
        var vNames = soft.Select(l => l.VName).ToArray();
        var m1 = soft.Select(l => new float[l.V.Length]).ToArray();
        var m2 = soft.Select(l => new float[l.V.Length]).ToArray();
        var grads = soft.Select(l => new float[l.V.Length]).ToArray();
        double window = 0;
        int step = Math.Max(1, total / 10);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int t = 0; t < total; t++)
        {
            ct.ThrowIfCancellationRequested();
            var (beta, regularize) = SoftRounding.Schedule(t, total);
            foreach (var gr in grads) Array.Clear(gr);
            double rec = 0;
            var picks = new List<(Dictionary<string, Tensor> Feed, Tensor Target, int[]? Lo, int[]? TStart)>();
            for (int b = 0; b < Brecq.BatchSamples; b++)
            {
                int i = rng.Next(data.Inputs.Count);
                var feed = new Dictionary<string, Tensor>(data.Inputs[i], StringComparer.Ordinal);
                int[]? lo = null, tStart = null;
                string input = block.Input;
                if (crop is not null)
                {
                    var (start, length, outLo) = crop.Sample(feed[input].Shape, rng);
                    feed[input] = BlockCrop.Slice(feed[input], start, length);
                    lo = outLo;
                    tStart = [start[0] / crop.Stride[0] + outLo[0], start[1] / crop.Stride[1] + outLo[1]];
                }
                picks.Add((feed, data.Targets[i], lo, tStart));
            }
            // One forward/backward for the whole mini-batch when the samples stack along axis 0 (same trailing shape).
            var shape0 = picks[0].Feed[block.Input].Shape;
            bool stack = block.SideInputs.Count == 0 && picks.All(p => p.Feed[block.Input].Shape.AsSpan(1).SequenceEqual(shape0.AsSpan(1)));
            var groups = stack ? [picks] : picks.Select(p => new List<(Dictionary<string, Tensor>, Tensor, int[]?, int[]?)> { p }).ToList();
            for (int gi = 0; gi < groups.Count; gi++)
            {
                var group = groups[gi];
                var feed = group.Count == 1 ? new Dictionary<string, Tensor>(group[0].Item1, StringComparer.Ordinal)
                    : new Dictionary<string, Tensor> { [block.Input] = Stack(group.Select(p => p.Item1[block.Input]).ToList()) };
                feed[BlockGraph.Beta] = Tensor.FromArray(new[] { beta }, []);
                var z = session.Forward(feed, training: true)[block.Output];
                var dz = Tensor.Zeros(DType.Float32, z.Shape);
                int per = z.Length / z.Shape[0], offset = 0;
                foreach (var (f, target, lo, tStart) in group)
                {
                    int n = f[block.Input].Shape[0];
                    var shape = (int[])z.Shape.Clone();
                    shape[0] = n;
                    rec += Reconstruction(z.AsReadOnlySpan<float>().Slice(offset, n * per), shape, target, lo, tStart, crop?.OutputRows ?? 0,
                        dz.AsSpan<float>().Slice(offset, n * per));
                    offset += n * per;
                }
                var outGrads = new Dictionary<string, Tensor> { [block.Output] = dz };
                if (reg is not null && regularize && gi == 0) outGrads[reg] = Tensor.FromArray(new[] { Brecq.RegularizerWeight * Brecq.BatchSamples }, []);
                var g = session.Backward(outGrads, vNames);
                for (int l = 0; l < soft.Count; l++)
                {
                    var src = g[vNames[l]].AsReadOnlySpan<float>();
                    var acc = grads[l];
                    for (int k = 0; k < acc.Length; k++) acc[k] += src[k];
                }
            }
            session.ClearTape();
            Adam(soft, grads, m1, m2, t + 1, 1f / Brecq.BatchSamples);
            window += rec / Brecq.BatchSamples;
            if ((t + 1) % step == 0 || t + 1 == total)
            {
                report($"iteration {t + 1}/{total}: reconstruction loss {window / ((t % step) + 1):G4}, β {beta:G3}, hard {soft.Average(l => SoftRounding.HardFraction(l.V)):P0}, {clock.Elapsed.TotalMilliseconds / (t + 1):F1} ms/iteration");
                window = 0;
            }
        }
        var hard = soft.Select(l => l.HardMatrix()).ToList();
        double nearest = Error(quantized, block, soft, activations, data, threads, soft.Select(l => l.Grid.NearestAll(l.FloatMatrix)).ToList());
        double brecq = Error(quantized, block, soft, activations, data, threads, hard);
        return new BlockResult(hard, total, nearest, brecq);
    }

    /// <summary>Relative output error of the block with the given grid values, fake-quantized activations, every sample whole.</summary>
    public static double Error(Graph.Graph quantized, Block block, IReadOnlyList<SoftLayer> soft, IReadOnlyDictionary<string, QuantParams> activations,
        BlockData data, int threads, IReadOnlyList<float[]> weights)
    {
        var w = soft.Select((l, i) => (l.Layer.Weight, l.ToTensor(weights[i]))).ToDictionary(x => x.Weight, x => x.Item2);
        var g = BlockGraph.Build(quantized, block, soft, activations, data.Inputs[0], soft: false, qdrop: false, w);
        var s = new TrainingSession(g, new SessionOptions { Threads = threads, Optimize = false });
        double num = 0, den = 0;
        for (int i = 0; i < data.Inputs.Count; i++)
        {
            var z = s.Forward(data.Inputs[i], training: false)[block.Output];
            var zs = z.AsReadOnlySpan<float>();
            var ts = data.Targets[i].AsReadOnlySpan<float>();
            for (int k = 0; k < zs.Length; k++) { double d = zs[k] - ts[k]; num += d * d; den += (double)ts[k] * ts[k]; }
        }
        return den > 0 ? num / den : num;
    }

    /// <summary>Σ_window (z − t)²/positions of one sample's slice of the output, writing dL/dz into <paramref name="d"/>:
    /// positions = elements / channels (channels = axis 1 for rank-4 NCHW outputs, the last axis otherwise).</summary>
    private static double Reconstruction(ReadOnlySpan<float> zs, int[] shape, Tensor target, int[]? lo, int[]? tStart, int rows, Span<float> d)
    {
        var ts = target.AsReadOnlySpan<float>();
        double loss = 0;
        if (lo is null || tStart is null)
        {
            if (zs.Length != ts.Length) throw new InvalidOperationException($"block output has {zs.Length} values, the float model's {ts.Length}");
            int channels = shape.Length == 0 ? 1 : shape[shape.Length == 4 ? 1 : shape.Length - 1];
            double positions = Math.Max(1, zs.Length / Math.Max(1, channels));
            for (int k = 0; k < zs.Length; k++) { double e = zs[k] - ts[k]; loss += e * e; d[k] = (float)(2 * e / positions); }
            return loss / positions;
        }
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3], th = target.Shape[2], tw = target.Shape[3];
        double pos = (double)n * rows * rows;
        for (int p = 0; p < n * c; p++)
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < rows; q++)
                {
                    int zi = p * h * w + (lo[0] + r) * w + lo[1] + q, ti = p * th * tw + (tStart[0] + r) * tw + tStart[1] + q;
                    double e = zs[zi] - ts[ti];
                    loss += e * e;
                    d[zi] = (float)(2 * e / pos);
                }
        return loss / pos;
    }

    /// <summary>Tensors of equal trailing shape concatenated along axis 0.</summary>
    private static Tensor Stack(List<Tensor> parts)
    {
        var shape = (int[])parts[0].Shape.Clone();
        shape[0] = parts.Sum(p => p.Shape[0]);
        var r = Tensor.Empty(DType.Float32, shape);
        var d = r.AsSpan<float>();
        int o = 0;
        foreach (var p in parts) { p.AsReadOnlySpan<float>().CopyTo(d[o..]); o += p.Length; }
        return r;
    }

    /// <summary>Adam on V with the accumulated gradient times <paramref name="scale"/>; updates V in place (the training
    /// graph's V initializers share its storage).</summary>
    private static void Adam(IReadOnlyList<SoftLayer> soft, float[][] grads, float[][] m1, float[][] m2, int t, float scale)
    {
        const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        float c1 = 1 - MathF.Pow(b1, t), c2 = 1 - MathF.Pow(b2, t);
        for (int l = 0; l < soft.Count; l++)
        {
            var v = soft[l].V;
            var g = grads[l];
            for (int k = 0; k < v.Length; k++)
            {
                float gk = g[k] * scale;
                m1[l][k] = b1 * m1[l][k] + (1 - b1) * gk;
                m2[l][k] = b2 * m2[l][k] + (1 - b2) * gk * gk;
                v[k] -= Brecq.LearningRate * (m1[l][k] / c1) / (MathF.Sqrt(m2[l][k] / c2) + eps);
            }
        }
    }
}
