using LowBit.Tensors;

namespace LowBit.Quantization.Search;

/// <summary>One evaluated trial of <see cref="AccuracyControl"/>: how many layers were restored and the measured drop.</summary>
public sealed record FallbackTrial(int Restored, double Drop);

/// <summary>The outcome of <see cref="AccuracyControl.Run"/>: the final model, the nodes returned to the fallback format
/// (most sensitive first), the measured drops before and after, every trial, and whether the target was met.</summary>
public sealed record FallbackResult(QuantizedModel Model, IReadOnlyList<string> Restored, double InitialDrop, double Drop, bool Met,
    IReadOnlyList<FallbackTrial> Trials);

/// <summary>
/// Accuracy-controlled quantization (issue 11 part 3, NNCF's max-drop): quantize everything, measure the drop; while it
/// exceeds the target, return the most sensitive nodes to a higher-precision <see cref="FormatChoice"/> (float by default).
/// The number of nodes k is found by bisection over the sensitivity ranking (the drop falls roughly monotonically as more
/// of the most sensitive nodes are restored: ⌈log₂ n⌉ trials), then each restored node is tried back at the low format,
/// least sensitive first, and left there when the target still holds, so the set is as small as the trials can show.
/// Every trial is a full quantization judged by <paramref name="drop"/> (the caller's engine, e.g. ONNX Runtime).
/// </summary>
public static class AccuracyControl
{
    /// <summary>At most this many restored nodes are tried back at the low format after the bisection.</summary>
    public const int MaxPruneTrials = 8;

    /// <param name="rank">Node keys, most sensitive first (e.g. by <see cref="LayerSensitivity"/>); only called when the
    /// fully quantized model misses the target.</param>
    /// <param name="drop">Measures a quantized model's drop against the float model (points, or relative: the caller's unit).</param>
    public static FallbackResult Run(Graph.Graph model, QuantizerConfig config, IReadOnlyList<IReadOnlyDictionary<string, Tensor>>? calibration,
        Func<IReadOnlyList<string>> rank, FormatChoice fallback, double maxDrop, Func<QuantizedModel, double> drop,
        IProgress<(string Phase, long Done, long Total)>? progress = null, CancellationToken cancel = default)
    {
        var trials = new List<FallbackTrial>();
        long step = 0, total = 2 + MaxPruneTrials;
        (QuantizedModel, double) Trial(IReadOnlyCollection<string> restored)
        {
            cancel.ThrowIfCancellationRequested();
            var nodes = new Dictionary<string, NodeOverride>(config.Recipe?.Nodes ?? new Dictionary<string, NodeOverride>(), StringComparer.Ordinal);
            foreach (var n in restored) nodes[n] = fallback.Override;
            var recipe = new QuantRecipe(nodes, config.Recipe?.ExcludeNodes.Where(n => !restored.Contains(n)), config.Recipe?.ExcludeOpTypes);
            var q = Quantizer.Quantize(model, config.With(recipe: recipe), calibration,
                calibrationOptions: new CalibrationOptions() { Cancellation = cancel });
            double d = drop(q);
            trials.Add(new FallbackTrial(restored.Count, d));
            progress?.Report(("max-drop trials", ++step, total));
            return (q, d);
        }

        var (best, initial) = Trial([]);
        if (initial <= maxDrop) return new FallbackResult(best, [], initial, initial, true, trials);
        var ranking = rank();
        total += (long)Math.Ceiling(Math.Log2(Math.Max(2, ranking.Count)));
        var (allModel, allDrop) = Trial(ranking);
        if (allDrop > maxDrop) return new FallbackResult(allModel, ranking, initial, allDrop, false, trials);

        // Invariant: restoring lo nodes misses the target, restoring hi nodes meets it.
        int lo = 0, hi = ranking.Count;
        (best, double bestDrop) = (allModel, allDrop);
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            var (q, d) = Trial(ranking.Take(mid).ToList());
            if (d <= maxDrop) (hi, best, bestDrop) = (mid, q, d);
            else lo = mid;
        }
        var restored = ranking.Take(hi).ToList();
        foreach (var node in restored.AsEnumerable().Reverse().Take(MaxPruneTrials).ToList())
        {
            if (restored.Count == 1) break;
            var fewer = restored.Where(n => n != node).ToList();
            var (q, d) = Trial(fewer);
            if (d <= maxDrop) (restored, best, bestDrop) = (fewer, q, d);
        }
        return new FallbackResult(best, restored, initial, bestDrop, true, trials);
    }
}
