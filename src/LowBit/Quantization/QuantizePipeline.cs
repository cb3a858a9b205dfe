using LowBit.Graph;
using LowBit.Quantization.Algorithms;
using LowBit.Quantization.Algorithms.Layers;
using LowBit.Quantization.Calibration;
using LowBit.Quantization.Dynamic;
using LowBit.Quantization.Prepare;
using LowBit.Quantization.Qdq;
using LowBit.Tensors;

namespace LowBit.Quantization;

/// <summary>The steps of <see cref="Quantizer.Quantize"/>, shared with <see cref="QuantizedModel.Load(string, Graph.Graph)"/>
/// (which passes stored parameters instead of calibration data).</summary>
internal static class QuantizePipeline
{
    public static QuantizedModel Run(Graph.Graph model, QuantizerConfig config, IEnumerable<IReadOnlyDictionary<string, Tensor>>? data,
        IProgress<CalibrationProgress>? progress, CalibrationOptions copts, QdqParams.Stored? stored, string? sourcePath,
        IReadOnlyList<Algorithms.TransformEntry>? storedTransforms = null, Action<Graph.Graph, QdqPlan, QdqParams>? planned = null)
    {
        ThrowIfQuantized(model, sourcePath);
        CheckNames(model, config);
        string sourceHash = ModelHash.Compute(model);
        var (g, prep) = GraphPreparation.Run(model, config.CrossLayerEqualization);
        var transforms = Algorithms.PreQuantTransforms.Apply(g, config, ref data, copts, stored is null ? null : storedTransforms ?? []);
        if (config.Mode == QuantMode.WeightOnly) GemmTransposeB.Apply(g);
        var warnings = new List<string>();
        WarnFoldedOverrides(model, g, config, warnings);
        var cpu = CpuDefaults.Decide(config);
        var types = TypeInference.Infer(g);
        var plan = Marker.Run(g, config, cpu.ReduceRange, types);
        var bodies = Subgraphs.Mark(g, config, cpu.ReduceRange, types);
        var keys = g.Nodes.ToDictionary<Node, Node, string>(n => n, Marker.Key, ReferenceEqualityComparer.Instance);
        var preparedNodes = g.Nodes.ToList();
        var readers = Readers(g);
        var shapes = g.Initializers.ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        var sourceStats = model.ParameterStats();

        var kept = new KeptSamples(config.Algorithm.Samples ?? WeightAlgorithms.DefaultSamples);
        var source = data;
        if (config.Algorithm.NeedsData && stored is null && data is not null) data = kept.Tee(data);
        CalibrationResult? calibration = null;
        if (config.Mode == QuantMode.Static && stored is null)
            calibration = Calibrate(g, bodies.WithBodies(plan), data, progress, copts);
        var p = QdqParams.Resolve(g, plan, calibration, stored);
        var outcomes = new Dictionary<string, AlgorithmOutcome>();
        if (!config.Algorithm.IsNearest && stored is null)
        {
            if (source is not null) kept.Fill(source, copts.MaxSamples);
            outcomes = WeightAlgorithms.Run(g, plan, p, config.Algorithm, kept.Samples, copts, copts.AlgorithmProgress, warnings, copts.Cancellation,
                config.Algorithm.BiasCorrection == BiasCorrectionKind.Analytic ? BatchNormStats.Of(model) : null);
        }

        // The prepared float graph with its final weights, marks and parameters, before any Q/DQ is inserted (QAT builds its
        // training graph from it).
        planned?.Invoke(g, plan, p);
        var nbits = new List<string>();
        string weightExport = "DequantizeLinear";
        switch (config.Mode)
        {
            case QuantMode.Static:
                QdqRewriter.Apply(g, plan, p, config.QuantizeGraphOutputs);
                break;
            case QuantMode.WeightOnly:
                nbits = WeightOnlyRewriter.Apply(g, plan, p, config);
                break;
            case QuantMode.Dynamic:
                foreach (var n in DynamicRewriter.Apply(g, plan, p))
                {
                    foreach (var w in plan.Weights.Where(kv => kv.Value.Node == n).Select(kv => kv.Key).ToList()) plan.Weights.Remove(w);
                    plan.Quantized.Remove(n);
                    plan.FloatReasons[n] = "dynamic form does not apply (MatMul B not 2-D, Gemm transA, or per-channel weight zero points on Conv)";
                }
                weightExport = "MatMulInteger/ConvInteger";
                break;
        }
        var bodyTensors = bodies.Rewrite(config, calibration, stored, warnings);
        var (opset, reason, notes) = ExportOpset.Apply(g, model.DefaultOpset, config.ExportOpset);
        // After the opset is final (the unpack needs ≥ 10): weights narrower than their ONNX container are stored at
        // their width; int4/int8 weights keep the types ONNX Runtime's integer kernels and MatMulNBits read, and so do
        // reduce-range int8 weights (7-bit codes for the same kernels).
        var packed = !config.PackWeights ? new Dictionary<string, int>() : PackedWeights.Apply(g, plan.Weights
            .Where(kv => kv.Value.Config.Format.BitsPerWeight < kv.Value.Config.StorageBits && !(cpu.ReduceRange && kv.Value.Config.Format is Formats.IntFormat { Bits: 7, IsSigned: true }))
            .Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal)).ToDictionary(r => r.Dequantized, r => r.Bits, StringComparer.Ordinal);
        TopologicalSort.Apply(g);
        warnings.AddRange(plan.Warnings);
        warnings.AddRange(KernelWarnings(config, plan, keys, nbits, packed));
        if (calibration is not null) warnings.AddRange(calibration.Warnings);

        var manifest = new QuantManifest(
            QuantManifest.CurrentFormat,
            LowBitVersion.Tool,
            new SourceInfo(sourceHash, sourcePath, model.DefaultOpset, model.Metadata.IrVersion, sourceStats.Parameters, sourceStats.BytesByType.Values.Sum()),
            new ExportInfo(opset, reason, g.Metadata.IrVersion, new SortedDictionary<string, long>(g.Opsets), g.ParameterStats().BytesByType.Values.Sum(), notes, nbits),
            ManifestJson.Describe(config, cpu.ReduceRange),
            new CpuInfo(cpu.Cpu.ToString(), cpu.Cpu.U8S8Saturates, cpu.ReduceRange, cpu.Reason),
            prep,
            calibration is null ? null : new CalibrationInfo(calibration.Samples, config.Activations!.Observer.ToString(), copts.DataKey, calibration.Cache, calibration.Warnings)
                { Inputs = calibration.Inputs, DataSpec = copts.DataSpec },
            [.. ManifestBuilder.Tensors(plan, p, shapes, keys, readers, weightExport, nbits)
                .Select(t => outcomes.TryGetValue(t.Name, out var o) && t.Kind == "weight" ? t with { Algorithm = o } : t)
                .Select(t => t.Kind == "weight" && packed.TryGetValue(t.Name, out int b) ? t with { PackedBits = b } : t), .. bodyTensors],
            ManifestBuilder.Nodes(preparedNodes, plan, keys),
            warnings) { Transforms = transforms.Count == 0 ? null : transforms };
        return new QuantizedModel(g, manifest);
    }

    private static CalibrationResult Calibrate(Graph.Graph g, QdqPlan plan, IEnumerable<IReadOnlyDictionary<string, Tensor>>? data,
        IProgress<CalibrationProgress>? progress, CalibrationOptions copts)
    {
        string? key = null;
        string modelHash = "";
        if (copts.CachePath is string path)
        {
            modelHash = ModelHash.Compute(g);
            var groups = plan.Groups().Select(gr => (gr.Root, (IReadOnlyList<string>)gr.Members, plan.GroupConfig(gr.Root, gr.Members)));
            key = CalibrationCache.Key(modelHash, copts, groups);
            if (CalibrationCache.TryLoad(path, key, plan.Groups().Select(gr => gr.Root)) is { } hit) return hit;
        }
        if (data is null)
            throw new LowBitException(ErrorKind.Usage, "static quantization needs calibration data (or use weight-only or dynamic mode, which need none)");
        var result = Calibrator.Run(g, plan, data, copts, progress);
        if (copts.CachePath is string p2)
        {
            CalibrationCache.Save(p2, key!, modelHash, copts, result);
            result = result with { Cache = "miss" };
        }
        return result;
    }

    private static readonly HashSet<string> QuantizedOps =
    [
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger",
        "ConvInteger", "MatMulNBits", "QGemm", "QLinearAdd", "QLinearMul", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "DynamicQuantizeLSTM",
    ];

    /// <summary>The model must be a float model: an error naming <paramref name="file"/> (when known) and the first
    /// quantized node otherwise.</summary>
    internal static void ThrowIfQuantized(Graph.Graph model, string? file)
    {
        if (AllNodes(model).FirstOrDefault(n => QuantizedOps.Contains(n.OpType)) is { } done)
            throw new LowBitException(ErrorKind.InvalidInput, (file is null ? "" : file + ": ") +
                $"the model is already quantized (node {Marker.Key(done)} is {done.OpType}); quantize the float model instead");
    }

    /// <summary>Every excluded or overridden node name and op type must exist in the model.</summary>
    private static void CheckNames(Graph.Graph model, QuantizerConfig config)
    {
        var names = AllNodes(model).Select(Marker.Key).ToList();
        var known = new HashSet<string>(names, StringComparer.Ordinal);
        var ops = AllNodes(model).Select(n => n.OpType).Distinct().OrderBy(o => o, StringComparer.Ordinal).ToList();
        void Node(string n, string where)
        {
            if (known.Contains(n)) return;
            var near = names.OrderBy(x => Levenshtein(x, n)).Take(5);
            string all = names.Count <= 40 ? string.Join(", ", names) : string.Join(", ", names.Take(40)) + $", … ({names.Count - 40} more; `lowbit inspect` lists all)";
            throw new LowBitException(ErrorKind.Usage, $"{where} names node '{n}', which the model does not have (closest: {string.Join(", ", near)}); the model's nodes: {all}");
        }
        void Op(string o, string where)
        {
            if (!ops.Contains(o)) throw new LowBitException(ErrorKind.Usage, $"{where} names op type '{o}', which the model does not use; its op types: {string.Join(", ", ops)}");
        }
        foreach (var n in config.ExcludeNodes) Node(n, "the exclusion list");
        foreach (var o in config.ExcludeOpTypes) Op(o, "the exclusion list");
        if (config.Recipe is { } r)
        {
            foreach (var n in r.ExcludeNodes) Node(n, "the recipe's exclude list");
            foreach (var o in r.ExcludeOpTypes) Op(o, "the recipe's exclude list");
            foreach (var n in r.Nodes.Keys) Node(n, "the recipe");
        }
    }

    private static void WarnFoldedOverrides(Graph.Graph model, Graph.Graph prepared, QuantizerConfig config, List<string> warnings)
    {
        var left = new HashSet<string>(AllNodes(prepared).Select(Marker.Key), StringComparer.Ordinal);
        var named = config.ExcludeNodes.Concat(config.Recipe?.ExcludeNodes ?? []).Concat(config.Recipe?.Nodes.Keys ?? []);
        foreach (var n in named.Distinct())
            if (!left.Contains(n))
                warnings.Add($"node '{n}' was folded away while preparing the graph (constant or BatchNormalization folding); its setting has no effect");
    }

    private static IEnumerable<string> KernelWarnings(QuantizerConfig config, QdqPlan plan, IReadOnlyDictionary<Node, string> keys, List<string> nbits,
        IReadOnlyDictionary<string, int> packed)
    {
        if (config.Mode == QuantMode.WeightOnly)
        {
            // MatMul is fused by ONNX Runtime (DQ→MatMul becomes MatMulNBits); Conv never is, Gemm only with transB = 0 and
            // no activation merged into it first.
            var slow = plan.Weights.Values.Where(w => !WeightQuantConfig.IsLookup(w.Config.Format))
                .Where(w => w.Node.OpType is "Conv" or "ConvTranspose" || (w.Node.OpType == "Gemm" && !nbits.Contains(keys[w.Node])))
                .Select(w => keys[w.Node]).Distinct().ToList();
            if (slow.Count > 0)
                yield return $"weight-only {string.Join(", ", slow.Take(5))}{(slow.Count > 5 ? $" and {slow.Count - 5} more" : "")}: ONNX Runtime may have no fused kernel for these and then dequantizes the weights on every run (smaller file, slower than float)";
        }
        if (config.Mode == QuantMode.Static)
        {
            // Packed weights unpack to int8/uint8 codes, which ONNX Runtime's constant folding makes an initializer before
            // its QDQ fusions run: per channel or per tensor they get the integer kernels.
            var unfused = plan.Weights.Where(kv => !WeightQuantConfig.IsLookup(kv.Value.Config.Format)
                    && ((kv.Value.Config.StorageBits != 8 && !packed.ContainsKey(kv.Key)) || kv.Value.Granularity is PerGroup))
                .Select(kv => keys[kv.Value.Node]).Distinct().ToList();
            if (unfused.Count > 0)
                yield return $"{string.Join(", ", unfused.Take(5))}{(unfused.Count > 5 ? $" and {unfused.Count - 5} more" : "")}: ONNX Runtime's integer kernels take 8-bit per-tensor/per-channel weights; these run DequantizeLinear + float op";
        }
        if (Fp8Note(config, plan, keys) is string fp8) yield return fp8;
        if (LookupNote(plan, keys) is string lookup) yield return lookup;
    }

    /// <summary>Lookup-format weights (fp4, nf4, binary, PoT, APoT; Qdq/LookupWeights.cs): ONNX Runtime folds the unpack,
    /// table lookup and scaling into a float32 initializer at session start and runs the float op.</summary>
    internal static string? LookupNote(QdqPlan plan, IReadOnlyDictionary<Node, string> keys)
    {
        var marks = plan.Weights.Values.Where(w => WeightQuantConfig.IsLookup(w.Config.Format)).ToList();
        if (marks.Count == 0) return null;
        var nodes = marks.Select(w => keys[w.Node]).Distinct().ToList();
        string formats = string.Join(", ", marks.Select(w => w.Config.Format.Name).Distinct());
        return $"{formats} weights ({string.Join(", ", nodes.Take(5))}{(nodes.Count > 5 ? $" and {nodes.Count - 5} more" : "")}): stored as packed codes + lookup table, " +
            "which ONNX Runtime turns into float32 weights at session start (constant folding) and then runs the float ops (size, not speed)";
    }

    /// <summary>FP8 weights or activations: ONNX Runtime 1.31's CPU provider has no float8 compute kernels, so it
    /// dequantizes and runs the float op (the file shrinks, nothing gets faster).</summary>
    internal static string? Fp8Note(QuantizerConfig config, QdqPlan plan, IReadOnlyDictionary<Node, string> keys)
    {
        var nodes = plan.Weights.Values.Where(w => WeightQuantConfig.IsFloat8(w.Config.Format)).Select(w => keys[w.Node]).Distinct().ToList();
        bool acts = config.Mode == QuantMode.Static && (config.Activations is { } a && WeightQuantConfig.IsFloat8(a.Format)
            || config.Recipe?.Nodes.Values.Any(o => o.Activations is { } ra && WeightQuantConfig.IsFloat8(ra.Format)) == true);
        if (nodes.Count == 0 && !acts) return null;
        string what = nodes.Count > 0 && acts ? "weights and activations" : acts ? "activations" : "weights";
        string where = nodes.Count == 0 ? "" : $" ({string.Join(", ", nodes.Take(5))}{(nodes.Count > 5 ? $" and {nodes.Count - 5} more" : "")})";
        return $"FP8 {what}{where}: dequantize-then-float in ONNX Runtime (size, not speed): its CPU provider has no float8 kernels, so float8 codes are dequantized to float32 and the float ops run";
    }

    /// <summary>The nodes of <paramref name="g"/> and of its control-flow bodies (exclusions and recipes may name both).</summary>
    private static IEnumerable<Node> AllNodes(Graph.Graph g) => g.Nodes.SelectMany(n => n.Subgraphs().SelectMany(AllNodes).Prepend(n));

    private static Dictionary<string, List<string>> Readers(Graph.Graph g)
    {
        var d = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var n in g.Nodes)
            foreach (var i in n.Inputs.Where(i => i.Length > 0).Distinct())
            {
                if (!d.TryGetValue(i, out var l)) d[i] = l = new();
                l.Add(Marker.Key(n));
            }
        return d;
    }

    private static int Levenshtein(string a, string b)
    {
        var d = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) d[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int prev = d[0];
            d[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int tmp = d[j];
                d[j] = Math.Min(Math.Min(d[j] + 1, d[j - 1] + 1), prev + (a[i - 1] == b[j - 1] ? 0 : 1));
                prev = tmp;
            }
        }
        return d[b.Length];
    }
}
