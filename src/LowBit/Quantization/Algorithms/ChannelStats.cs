using LowBit.Data;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Algorithms;

/// <summary>Per-channel (last axis) minimum and maximum of an activation over calibration samples.</summary>
internal sealed class ChannelRange(int k)
{
    public double[] Min { get; } = Enumerable.Repeat(double.PositiveInfinity, k).ToArray();
    public double[] Max { get; } = Enumerable.Repeat(double.NegativeInfinity, k).ToArray();

    public double MaxAbs(int j) => Math.Max(Math.Abs(Min[j]), Math.Abs(Max[j]));

    /// <summary>max_j max|X_j| / mean_j max|X_j|: 1 for a flat per-channel range, large with outlier channels.</summary>
    public double Spread()
    {
        var a = Enumerable.Range(0, Min.Length).Select(MaxAbs).ToArray();
        double mean = a.Average();
        return mean > 0 ? a.Max() / mean : 1;
    }

    internal void Observe(ReadOnlySpan<float> v)
    {
        int k = Min.Length;
        for (int i = 0; i < v.Length; i++)
        {
            int j = i % k;
            double x = v[i];
            if (x < Min[j]) Min[j] = x;
            if (x > Max[j]) Max[j] = x;
        }
    }
}

/// <summary>
/// Runs the float graph over calibration samples and streams each named activation into its <see cref="ChannelRange"/>
/// through a <see cref="Session"/> value hook (as <c>Calibrator</c>: unoptimized session so every value exists by name,
/// no value kept; memory = 2K doubles per watched value).
/// </summary>
internal static class ChannelStats
{
    public static Dictionary<string, ChannelRange> Collect(Graph.Graph g, IReadOnlyDictionary<string, int> channels,
        IEnumerable<IReadOnlyDictionary<string, Tensor>> data, int? maxSamples, int? threads, CancellationToken ct = default)
    {
        var ranges = channels.ToDictionary(kv => kv.Key, kv => new ChannelRange(kv.Value), StringComparer.Ordinal);
        var session = new Session(g, new SessionOptions { Optimize = false, Threads = threads ?? Environment.ProcessorCount });
        int sample = 0;
        session.AddHook((name, _, value) =>
        {
            if (!ranges.TryGetValue(name, out var r) || value.DType != DType.Float32) return null;
            if (value.Shape.Length == 0 || value.Shape[^1] != r.Min.Length)
                throw new LowBitException(ErrorKind.InvalidInput, $"activation '{name}' has last axis {(value.Shape.Length == 0 ? 0 : value.Shape[^1])}, its layers read {r.Min.Length} channels");
            var span = value.AsReadOnlySpan<float>();
            DataValidation.ThrowIfNonFinite(span, $"calibration sample {sample}", "activation", name);
            r.Observe(span);
            return null;
        });
        foreach (var s in data)
        {
            if (maxSamples is int m && sample >= m) break;
            ct.ThrowIfCancellationRequested();
            session.Run(s);
            sample++;
        }
        if (sample == 0) throw new LowBitException(ErrorKind.InvalidInput, "the calibration data is empty: per-channel activation ranges need at least one sample");
        return ranges;
    }
}
