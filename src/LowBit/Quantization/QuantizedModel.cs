using LowBit.Onnx;
using LowBit.Quantization.Qdq;

namespace LowBit.Quantization;

/// <summary>
/// The result of <see cref="Quantizer.Quantize"/>: the quantized <see cref="Graph"/> (QDQ, weight-only or dynamic form;
/// runs in LowBit's Session as fake quantization and in ONNX Runtime once saved) and its <see cref="Manifest"/>.
/// </summary>
public sealed class QuantizedModel
{
    public Graph.Graph Graph { get; }
    public QuantManifest Manifest { get; }
    public IReadOnlyList<string> Warnings => Manifest.Warnings;

    internal QuantizedModel(Graph.Graph graph, QuantManifest manifest)
    {
        Graph = graph;
        Manifest = manifest;
    }

    /// <summary><c>dir/model.q.onnx</c> → <c>dir/model.q.lowbit.json</c>.</summary>
    public static string ManifestPathFor(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".", Path.GetFileNameWithoutExtension(modelPath) + ".lowbit.json");

    /// <summary>
    /// Writes the model to <paramref name="path"/> and the manifest beside it (<see cref="ManifestPathFor"/>), each through
    /// a temporary file and a rename, the manifest committed only after the model: an existing pair is never left
    /// half-written. Refuses to overwrite the float model it was made from (<see cref="SourceInfo.Path"/> or
    /// <paramref name="inputPath"/>).
    /// </summary>
    public void Save(string path, string? inputPath = null)
    {
        string full = Path.GetFullPath(path);
        foreach (var src in new[] { Manifest.Source.Path, inputPath })
            if (src is not null && string.Equals(Path.GetFullPath(src), full, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                throw new LowBitException(ErrorKind.UnsafePath, $"refusing to overwrite the input model '{src}' with its quantized version; choose another output path");
        string manifestPath = ManifestPathFor(full);
        if (string.Equals(manifestPath, full, StringComparison.Ordinal))
            throw new LowBitException(ErrorKind.Usage, $"output '{path}' would collide with its manifest; give the model an .onnx extension");
        string tmp = AtomicFile.TempPath(manifestPath);
        try
        {
            File.WriteAllText(tmp, ManifestJson.Write(Manifest));
            OnnxExporter.Save(Graph, full);
            File.Move(tmp, manifestPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Reads a manifest file.</summary>
    public static QuantManifest ReadManifest(string manifestPath)
    {
        if (!File.Exists(manifestPath)) throw new LowBitException(ErrorKind.FileNotFound, $"manifest '{manifestPath}' does not exist");
        return ManifestJson.Read(File.ReadAllText(manifestPath), manifestPath);
    }

    /// <summary>Rebuilds the quantized model from a manifest and the float model it was made from: same preparation and
    /// marks, parameters from the manifest (large weight scale sets recomputed and checked against their hash).</summary>
    public static QuantizedModel Load(string manifestPath, string floatModelPath) => Load(manifestPath, OnnxImporter.Load(floatModelPath));

    public static QuantizedModel Load(string manifestPath, Graph.Graph floatModel) => Apply(ReadManifest(manifestPath), floatModel, manifestPath);

    /// <summary>As <see cref="Load(string, Graph.Graph)"/> from a manifest object.</summary>
    public static QuantizedModel Apply(QuantManifest manifest, Graph.Graph floatModel, string source = "manifest")
    {
        string hash = Prepare.ModelHash.Compute(floatModel);
        if (hash != manifest.Source.ModelHash)
            throw new LowBitException(ErrorKind.InvalidInput,
                $"{source} was made from a different model (hash {manifest.Source.ModelHash[..12]}…, this one {hash[..12]}…)");
        if (manifest.Training is { } trained)
            throw new LowBitException(ErrorKind.InvalidInput, $"{source}: the weights and scales were trained ({trained.Method} quantization-aware training), which a manifest does not replay; load the quantized model file itself");
        if (manifest.Config.Algorithm is { } alg)
            throw new LowBitException(ErrorKind.InvalidInput, $"{source}: the weights were chosen by {alg.Name} from calibration data, which a manifest does not replay; load the quantized model file itself");
        var config = ManifestJson.ToConfig(manifest.Config);
        var stored = ManifestParams.From(manifest);
        var rebuilt = QuantizePipeline.Run(floatModel, config, null, null, CalibrationOptions.Default, stored, manifest.Source.Path, manifest.Transforms);
        ManifestParams.Verify(manifest, rebuilt.Manifest, source);
        var m = rebuilt.Manifest with { Calibration = manifest.Calibration, Warnings = manifest.Warnings, Cpu = manifest.Cpu };
        return new QuantizedModel(rebuilt.Graph, m);
    }
}
