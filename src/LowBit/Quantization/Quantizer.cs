using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Quantization;

/// <summary>
/// Post-training quantization, end to end (DESIGN.md §1): prepare a copy of the float graph (fold constants and
/// BatchNormalization), mark tensors with the per-op quantizers, calibrate (static mode), choose parameters, rewrite to
/// QDQ (or weight-only / dynamic form), set the export opset, and describe every choice in a manifest. The caller's graph
/// is never modified. Running <see cref="QuantizedModel.Graph"/> in LowBit's Session simulates exactly what ONNX Runtime
/// computes from the saved file (Q/DQ are fake quantization), up to integer-kernel rounding.
/// </summary>
public static class Quantizer
{
    /// <param name="model">The float model (not modified).</param>
    /// <param name="config">What to quantize and how.</param>
    /// <param name="calibration">Static mode: model inputs, one dictionary per sample (any data source); streamed once.
    /// A sample may leave out a leading batch dimension of 1 (a <c>[1,28,28]</c> image for a <c>[N,1,28,28]</c> input):
    /// see <see cref="WithBatchDim"/>. Ignored in weight-only and dynamic modes.</param>
    /// <param name="progress">Calibration progress (samples done / total when known), for a progress bar.</param>
    /// <param name="calibrationOptions">Sample limit, warning threshold, cache file and data key.</param>
    public static QuantizedModel Quantize(Graph.Graph model, QuantizerConfig config,
        IEnumerable<IReadOnlyDictionary<string, Tensor>>? calibration = null, IProgress<CalibrationProgress>? progress = null,
        CalibrationOptions? calibrationOptions = null) =>
        QuantizePipeline.Run(model, config, WithBatchDim(model, calibration), progress, calibrationOptions ?? CalibrationOptions.Default, stored: null, sourcePath: null);

    /// <summary>Loads <paramref name="inputPath"/> and quantizes it; the manifest records the path, and
    /// <see cref="QuantizedModel.Save"/> then refuses to overwrite it.</summary>
    public static QuantizedModel QuantizeFile(string inputPath, QuantizerConfig config,
        IEnumerable<IReadOnlyDictionary<string, Tensor>>? calibration = null, IProgress<CalibrationProgress>? progress = null,
        CalibrationOptions? calibrationOptions = null)
    {
        var model = OnnxImporter.Load(inputPath);
        return QuantizePipeline.Run(model, config, WithBatchDim(model, calibration), progress, calibrationOptions ?? CalibrationOptions.Default,
            stored: null, sourcePath: Path.GetFullPath(inputPath));
    }

    /// <summary>
    /// Samples as the model takes them: a tensor of rank r − 1 for an input of declared rank r whose first dimension is
    /// 1, unknown or symbolic (a batch dimension) gets a leading 1 (a view, no copy). Every other tensor passes as it is,
    /// so shape errors still come from the session, naming the input. Collections stay collections (progress knows the
    /// total).
    /// </summary>
    internal static IEnumerable<IReadOnlyDictionary<string, Tensor>>? WithBatchDim(Graph.Graph model,
        IEnumerable<IReadOnlyDictionary<string, Tensor>>? samples)
    {
        if (samples is null) return null;
        var batched = model.Inputs.Where(i => i.Shape is { Length: > 0 } s && (s[0].Value is null || s[0].Value == 1))
            .ToDictionary(i => i.Name, i => i.Shape!.Length, StringComparer.Ordinal);
        if (batched.Count == 0) return samples;
        IReadOnlyDictionary<string, Tensor> Fix(IReadOnlyDictionary<string, Tensor> sample)
        {
            if (!sample.Any(kv => batched.TryGetValue(kv.Key, out int rank) && kv.Value.Shape.Length == rank - 1)) return sample;
            return sample.ToDictionary(kv => kv.Key, kv => batched.TryGetValue(kv.Key, out int rank) && kv.Value.Shape.Length == rank - 1
                ? kv.Value.Reshape([1, .. kv.Value.Shape]) : kv.Value, StringComparer.Ordinal);
        }
        var mapped = samples.Select(Fix);
        return samples is IReadOnlyCollection<IReadOnlyDictionary<string, Tensor>> c ? new Counted(mapped, c.Count) : mapped;
    }

    private sealed class Counted(IEnumerable<IReadOnlyDictionary<string, Tensor>> items, int count) : IReadOnlyCollection<IReadOnlyDictionary<string, Tensor>>
    {
        public int Count => count;
        public IEnumerator<IReadOnlyDictionary<string, Tensor>> GetEnumerator() => items.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
