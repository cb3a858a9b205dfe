using LowBit.Formats;
using LowBit.Quantization.Calibration;
using LowBit.Quantization.Observers;
using LowBit.Tensors;

namespace LowBit.Quantization.Qdq;

/// <summary>
/// Quantization parameters of every marked tensor: activations (one object shared by a scale group), weights and
/// Add/Mul constants. Built from calibration ranges and the weights themselves (<see cref="Resolve"/>), or taken from a
/// manifest (<see cref="Stored"/>) so a reload rebuilds the same graph.
/// </summary>
internal sealed class QdqParams
{
    public Dictionary<string, QuantParams> Activations { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, QuantParams> Weights { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, QuantParams> Constants { get; } = new(StringComparer.Ordinal);
    /// <summary>Observed range per group root (for the manifest).</summary>
    public Dictionary<string, TensorRange> Ranges { get; } = new(StringComparer.Ordinal);

    /// <summary>Parameters stored elsewhere by tensor name; a name absent from it is computed as usual.</summary>
    internal sealed record Stored(IReadOnlyDictionary<string, QuantParams> Params);

    public static QdqParams Resolve(Graph.Graph g, QdqPlan plan, CalibrationResult? calibration, Stored? stored = null)
    {
        var p = new QdqParams();
        foreach (var (root, members) in plan.Groups())
        {
            QuantParams? q = null;
            if (stored is not null && stored.Params.TryGetValue(root, out var sq)) q = sq;
            else if (calibration is not null && calibration.Ranges.TryGetValue(root, out var r))
            {
                p.Ranges[root] = r;
                if (r.Count == 0)
                {
                    plan.Warnings.Add($"activation '{root}' was never computed during calibration (unused branch?); it stays float");
                    continue;
                }
                var cfg = plan.GroupConfig(root, members);
                q = Affine.Choose(cfg.Format, cfg.Scheme, r.Min, r.Max);
            }
            if (q is null) continue;
            foreach (var m in members) p.Activations[m] = q;
        }
        foreach (var (name, w) in plan.Weights)
            p.Weights[name] = stored is not null && stored.Params.TryGetValue(name, out var sw) ? sw : ForWeight(g.Initializers[name], w);
        foreach (var (name, c) in plan.Constants)
        {
            if (stored is not null && stored.Params.TryGetValue(name, out var sc)) { p.Constants[name] = sc; continue; }
            var (mins, maxs) = WeightRanges.MinMax(Floats(g.Initializers[name]), g.Initializers[name].Shape, PerTensor.Instance);
            p.Constants[name] = Affine.Choose(c.Config.Format, c.Config.Scheme, mins[0], maxs[0]);
        }
        BiasFit.Apply(g, plan, p);
        return p;
    }

    private static QuantParams ForWeight(Tensor t, WeightMark w) => ForWeight(Floats(t), t.Shape, w.Config, w.Granularity);

    /// <summary>The parameters a weight's config chooses from its values (also the per-step scales of BitNet training).</summary>
    internal static QuantParams ForWeight(ReadOnlySpan<float> x, int[] shape, WeightQuantConfig c, Granularity granularity)
    {
        // A codebook adapts its levels to the distribution, so it takes absmax scales (minmax: its template spans [−1, 1]).
        var range = c.Format is CodebookFormat ? WeightRange.MinMax : c.Range;
        var (mins, maxs) = range switch
        {
            WeightRange.Mse => WeightRanges.Mse(x, shape, c.Format, c.Scheme, granularity, c.ScaleFormat),
            WeightRange.AbsMean or WeightRange.AbsMedian => AbsRanges.Ranges(x, shape, c.Format, granularity, median: range == WeightRange.AbsMedian),
            _ => WeightRanges.MinMax(x, shape, granularity),
        };
        var q = WeightScales.Apply(Affine.Choose(c.Format, c.Scheme, granularity, QuantParams.ScaleShapeFor(shape, granularity), mins, maxs),
            c.ScaleFormat);
        return q.Format is CodebookFormat ? CodebookFit.Choose(x, shape, q) : q;
    }

    internal static ReadOnlySpan<float> Floats(Tensor t) => t.DType == DType.Float32 ? t.AsReadOnlySpan<float>() : t.ToFloatArray();
}
