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
    /// Ignored in weight-only and dynamic modes.</param>
    /// <param name="progress">Calibration progress (samples done / total when known), for a progress bar.</param>
    /// <param name="calibrationOptions">Sample limit, warning threshold, cache file and data key.</param>
    public static QuantizedModel Quantize(Graph.Graph model, QuantizerConfig config,
        IEnumerable<IReadOnlyDictionary<string, Tensor>>? calibration = null, IProgress<CalibrationProgress>? progress = null,
        CalibrationOptions? calibrationOptions = null) =>
        QuantizePipeline.Run(model, config, calibration, progress, calibrationOptions ?? CalibrationOptions.Default, stored: null, sourcePath: null);

    /// <summary>Loads <paramref name="inputPath"/> and quantizes it; the manifest records the path, and
    /// <see cref="QuantizedModel.Save"/> then refuses to overwrite it.</summary>
    public static QuantizedModel QuantizeFile(string inputPath, QuantizerConfig config,
        IEnumerable<IReadOnlyDictionary<string, Tensor>>? calibration = null, IProgress<CalibrationProgress>? progress = null,
        CalibrationOptions? calibrationOptions = null) =>
        QuantizePipeline.Run(OnnxImporter.Load(inputPath), config, calibration, progress, calibrationOptions ?? CalibrationOptions.Default,
            stored: null, sourcePath: Path.GetFullPath(inputPath));
}
