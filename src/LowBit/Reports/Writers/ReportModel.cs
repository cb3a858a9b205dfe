using LowBit.Tensors;

namespace LowBit.Reports.Writers;

/// <summary>A model as the report shows it. <see cref="InitializerBytes"/>: stored weight bytes (packed 4-bit types
/// count half a byte); <see cref="FileBytes"/>: the .onnx file on disk when known.</summary>
public sealed record ModelInfo(string Name, string? Path, long Opset, long IrVersion, int Nodes, long Parameters, long InitializerBytes,
    long? FileBytes, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs)
{
    public static ModelInfo Of(Graph.Graph g, string? path = null)
    {
        var (parameters, bytes) = g.ParameterStats();
        long? file = path is not null && File.Exists(path) ? new FileInfo(path).Length : null;
        string name = path is not null ? System.IO.Path.GetFileName(path) : g.Name;
        return new ModelInfo(name, path, g.DefaultOpset, g.Metadata.IrVersion, g.Nodes.Count, parameters, bytes.Values.Sum(), file,
            g.RealInputs.Select(v => $"{v.Name} {v.DType.Name()} {v.ShapeString}").ToList(),
            g.Outputs.Select(v => $"{v.Name} {v.DType.Name()} {v.ShapeString}").ToList());
    }
}

/// <summary>What was quantized and how (from the quantizer's manifest).</summary>
public sealed record SchemeInfo(string Mode, string Weights, string? Activations, bool ReduceRange, long ExportOpset,
    int QuantizedNodes, int FloatNodes, IReadOnlyList<string> ExcludedNodes, IReadOnlyList<string> ExcludedOpTypes,
    IReadOnlyList<string> FloatReasons);

/// <summary>Calibration as run: samples, observer, data key, cache use ("off", "hit", "miss"), warnings.</summary>
public sealed record CalibrationSettings(int Samples, string Observer, string? Data, string Cache, IReadOnlyList<string> Warnings);

/// <summary>The CPU the defaults were chosen for, the decision and why, and notes on which kernels the exported model
/// will use (opset choice, MatMulNBits nodes, ops without an integer kernel).</summary>
public sealed record CpuNotes(string Cpu, bool U8S8Saturates, bool ReduceRange, string Decision, IReadOnlyList<string> KernelNotes);

/// <summary>Model size before and after. <see cref="Basis"/>: "file" (bytes on disk) or "initializers" (stored
/// weight bytes, when a model was never written).</summary>
public sealed record SizeComparison(long BytesBefore, long BytesAfter, string Basis)
{
    /// <summary>before / after: how many times smaller (0 when after is 0).</summary>
    public double Ratio => BytesAfter > 0 ? (double)BytesBefore / BytesAfter : 0;
}

/// <summary>
/// Latency before and after, measured side by side in one process (interleaved runs, same engine, threads and batch):
/// medians of <see cref="Runs"/> timed runs each, in milliseconds. Only the ratio is comparable across machines.
/// </summary>
public sealed record LatencyComparison(string Engine, int Threads, int Batch, int Runs, double BeforeMs, double AfterMs)
{
    /// <summary>before / after: &gt; 1 means the quantized model is faster (0 when after is 0).</summary>
    public double Speedup => AfterMs > 0 ? BeforeMs / AfterMs : 0;
}

/// <summary>Files written by <see cref="Report.Write"/> (absolute paths).</summary>
public sealed record ReportFiles(string Directory, string Json, string Html, string Markdown, IReadOnlyList<string> Plots);

/// <summary>The weight algorithm (<see cref="Quantization.AlgorithmConfig"/>) and, per weight, its summary and the layer's
/// relative output error with round to nearest and with the algorithm on the captured calibration vectors.</summary>
public sealed record AlgorithmSection(string Algorithm, IReadOnlyList<AlgorithmLayer> Layers);

public sealed record AlgorithmLayer(string Weight, string Summary, double? ErrorNearest, double? ErrorAlgorithm);
