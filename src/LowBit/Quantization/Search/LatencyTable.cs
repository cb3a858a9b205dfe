namespace LowBit.Quantization.Search;

/// <summary>
/// Per-layer, per-format latency in milliseconds of the weighted nodes, measured in a deployment engine (ONNX Runtime for
/// <c>lowbit search --budget latency=R</c>) on one-node models (<see cref="NodeModels"/>), plus the float model's whole
/// latency. The additive model: latency(plan) ≈ <see cref="FixedMs"/> + Σ_n k_f·t(n, f_n), where FixedMs is the time the
/// float model spends outside its weighted layers and k_f a per-format factor (<see cref="Calibrate"/>: 1 until then).
/// It ignores what crossing a float/integer boundary costs inside the model, so a plan's file is always timed as a whole
/// afterwards. Every node has a "float" entry (FixedMs needs it) whether or not float is a candidate.
/// </summary>
public sealed record LatencyTable(IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Milliseconds, double FloatMs, string Engine, int Threads, int Batch)
{
    /// <summary>k_f per format (absent: 1).</summary>
    public IReadOnlyDictionary<string, double> Scale { get; init; } = new Dictionary<string, double>();

    /// <summary>The float model's latency minus its weighted layers' float times, at least 0.</summary>
    public double FixedMs => Math.Max(0, FloatMs - Milliseconds.Values.Sum(m => m[FormatChoice.FloatName]));

    /// <summary>Milliseconds of <paramref name="node"/> at <paramref name="format"/>, times k_f (a usage error when not measured).</summary>
    public double Of(string node, string format) =>
        Milliseconds.TryGetValue(node, out var m) && m.TryGetValue(format, out double ms) ? ms * Scale.GetValueOrDefault(format, 1)
            : throw new LowBitException(ErrorKind.Usage, $"latency of node '{node}' at {format} was not measured");

    /// <summary>FixedMs + each assigned node's time at its format.</summary>
    public double Estimate(IReadOnlyDictionary<string, string> formats) => FixedMs + formats.Sum(kv => Of(kv.Key, kv.Value));

    /// <summary>
    /// Fits k_f so that the estimate of every layer at f equals <paramref name="uniformMs"/>[f], the measured latency of the
    /// whole model quantized uniformly at f: k_f = (T_f − FixedMs) / Σ_n t(n, f), at least 0.05. One-node timings miss
    /// what the whole model gains or pays at f outside the weighted layers (integer Add and pooling between integer layers,
    /// per-run costs); the factor moves that into the layers in proportion to their time. Float is fitted to
    /// <see cref="FloatMs"/> the same way: k_float = 1 unless the one-node float times add up to more than the whole
    /// float model (engines change the layout once per model, but once per one-node model).
    /// </summary>
    public LatencyTable Calibrate(IReadOnlyDictionary<string, double> uniformMs)
    {
        var scale = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (format, ms) in uniformMs.Where(u => u.Key != FormatChoice.FloatName).Append(new(FormatChoice.FloatName, FloatMs)))
        {
            double layers = Milliseconds.Values.Sum(m => m[format]);
            if (layers > 0) scale[format] = Math.Max(0.05, (ms - FixedMs) / layers);
        }
        return this with { Scale = scale };
    }
}
