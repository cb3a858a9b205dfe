using LowBit.Graph;
using LowBit.Quantization.Calibration;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms;

/// <summary>
/// The function-preserving rewrites run on the prepared float graph before marking: rotation (data-free) first, then one
/// pass over the calibration data for per-channel activation ranges of the rotated graph, then RepQuant on
/// LayerNorm-fed groups and SmoothQuant on the rest (on all groups when RepQuant is off). A manifest reload passes the
/// recorded factors instead of data and gets the same weights: factors are rounded to float32 before use.
/// </summary>
internal static class PreQuantTransforms
{
    /// <summary>Samples used for the per-channel ranges when the calibration options set no limit.</summary>
    public const int DefaultStatSamples = 256;

    /// <param name="data">The calibration data; replaced, when it is not a collection, by an enumerable that first
    /// replays the samples read here (at most the stats limit, held in memory) and then continues the original one.</param>
    public static List<TransformEntry> Apply(Graph.Graph g, QuantizerConfig config, ref IEnumerable<IReadOnlyDictionary<string, Tensor>>? data,
        CalibrationOptions copts, IReadOnlyList<TransformEntry>? stored)
    {
        var done = new List<TransformEntry>();
        if (config.Rotation != RotationKind.None)
        {
            done.AddRange(Rotation.Apply(g, LinearGroup.Find(g), config.Rotation));
            TopologicalSort.Apply(g);
        }
        if (config.SmoothQuantAlpha is null && !config.RepQuant) return done;

        var groups = LinearGroup.Find(g);
        Dictionary<string, ChannelRange>? stats = null;
        Dictionary<string, TransformEntry>? replay = null;
        if (stored is not null)
            replay = stored.Where(e => e.Pass != "rotation").GroupBy(e => e.Pass + "\n" + e.Input).ToDictionary(e => e.Key, e => e.First(), StringComparer.Ordinal);
        else
        {
            if (data is null)
                throw new LowBitException(ErrorKind.Usage, "SmoothQuant and RepQuant need calibration data for the per-channel activation ranges");
            if (copts.Streams.Count > 0)
                throw new LowBitException(ErrorKind.Usage, "SmoothQuant/RepQuant do not support streaming calibration (--stream): the per-channel ranges are taken from independent samples");
            int limit = copts.MaxSamples ?? DefaultStatSamples;
            IEnumerable<IReadOnlyDictionary<string, Tensor>> source = data;
            if (data is not System.Collections.ICollection && data is not IReadOnlyCollection<IReadOnlyDictionary<string, Tensor>>)
            {
                var e = data.GetEnumerator();
                var head = new List<IReadOnlyDictionary<string, Tensor>>();
                while (head.Count < limit && e.MoveNext()) head.Add(e.Current);
                source = head;
                data = Continue(head, e);
            }
            var channels = groups.ToDictionary(x => x.Input, x => x.K, StringComparer.Ordinal);
            stats = ChannelStats.Collect(g, channels, source, limit, copts.Threads);
        }

        var skip = new HashSet<string>(StringComparer.Ordinal);
        if (config.RepQuant)
        {
            var rq = RepQuant.Apply(g, groups, stats, Only(replay, "repquant"));
            skip.UnionWith(rq.Select(e => e.Input));
            done.AddRange(rq);
        }
        if (config.SmoothQuantAlpha is double alpha)
            done.AddRange(SmoothQuant.Apply(g, groups, stats, alpha, skip, Only(replay, "smoothquant")));
        TopologicalSort.Apply(g);
        return done;
    }

    private static Dictionary<string, TransformEntry>? Only(Dictionary<string, TransformEntry>? replay, string pass) =>
        replay?.Where(kv => kv.Value.Pass == pass).ToDictionary(kv => kv.Value.Input, kv => kv.Value, StringComparer.Ordinal);

    private static IEnumerable<IReadOnlyDictionary<string, Tensor>> Continue(List<IReadOnlyDictionary<string, Tensor>> head,
        IEnumerator<IReadOnlyDictionary<string, Tensor>> rest)
    {
        foreach (var s in head) yield return s;
        using (rest)
            while (rest.MoveNext()) yield return rest.Current;
    }
}
