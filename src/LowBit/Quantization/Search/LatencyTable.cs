namespace LowBit.Quantization.Search;

/// <summary>
/// Per-layer, per-format latency in milliseconds of the weighted nodes, measured in a deployment engine (ONNX Runtime for
/// <c>lowbit search --budget latency=R</c>) on one-node models (<see cref="NodeModels"/>), plus the float model's whole
/// latency. The additive model: latency(plan) ≈ <see cref="FixedMs"/> + Σ_n t(n, format_n), where FixedMs is the time the
/// float model spends outside its weighted layers. It ignores what crossing a float/integer boundary costs inside the
/// model and what fusing neighbours saves, so a plan's file is always timed as a whole afterwards.
/// Every node has a "float" entry (FixedMs needs it) whether or not float is a candidate.
/// </summary>
public sealed record LatencyTable(IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Milliseconds, double FloatMs, string Engine, int Threads, int Batch)
{
    /// <summary>The float model's latency minus its weighted layers' float times, at least 0.</summary>
    public double FixedMs => Math.Max(0, FloatMs - Milliseconds.Values.Sum(m => m[FormatChoice.FloatName]));

    /// <summary>Milliseconds of <paramref name="node"/> at <paramref name="format"/> (a usage error when not measured).</summary>
    public double Of(string node, string format) =>
        Milliseconds.TryGetValue(node, out var m) && m.TryGetValue(format, out double ms) ? ms
            : throw new LowBitException(ErrorKind.Usage, $"latency of node '{node}' at {format} was not measured");

    /// <summary>FixedMs + each assigned node's time at its format.</summary>
    public double Estimate(IReadOnlyDictionary<string, string> formats) => FixedMs + formats.Sum(kv => Of(kv.Key, kv.Value));
}
