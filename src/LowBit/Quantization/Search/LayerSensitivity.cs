using LowBit.Graph;
using LowBit.Onnx;
using LowBit.Quantization.Prepare;
using LowBit.Reports;
using LowBit.Reports.Metrics;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Search;

/// <summary>
/// Single-layer sensitivity of one node at one format, on the sensitivity batches, with only this node quantized
/// (<see cref="NodeIsolation"/>) against the float model. <see cref="Noise"/>: output noise power relative to the output
/// power, 10^(−SQNR/10) (quantization noises of different layers add about independently, so these sum: the additive
/// estimate of <see cref="BitAllocation"/>). <see cref="Kl"/>: mean KL(softmax(float) ‖ softmax(quantized)) per sample
/// (classifiers). <see cref="LossIncrease"/>/<see cref="Top1Drop"/>: cross-entropy increase and top-1 accuracy drop in
/// points against the labels (labelled data). <see cref="Bytes"/>: what this node's weights and bias take in the file at
/// this format (codes, scales, zero points, unpack tables; float32 for <see cref="FormatChoice.Float"/>).
/// </summary>
public sealed record LayerScore(string Node, string OpType, string Format, long Parameters, long Bytes, double Noise, double SqnrDb,
    double? Kl, double? LossIncrease, double? Top1Drop)
{
    /// <summary>Gradient-based estimates (Fisher diagonal, Hessian trace) of the loss increase from this node's weight
    /// error; null unless requested.</summary>
    public double? Fisher { get; init; }
    public double? Hessian { get; init; }
    /// <summary>The layer's normalized relevance R_l (Σ over weighted layers = 1, the same at every format; 0 for nodes
    /// without weights) and the <see cref="SensitivityMethod.Lrp"/> score R_l · <see cref="Noise"/>
    /// (<see cref="LayerRelevance.Score"/>); null unless requested.</summary>
    public double? Relevance { get; init; }
    public double? Lrp { get; init; }
    /// <summary>Multiply-accumulates per sample (Conv/Gemm/MatMul; 0 for other nodes) and bit operations per sample at this
    /// format: MACs × weight bits × activation bits (32 for float, Hubara et al.'s BOPs).</summary>
    public long Macs { get; init; }
    public double Bops { get; init; }

    /// <summary>The score <paramref name="method"/> ranks by (larger = more sensitive).</summary>
    public double? Score(SensitivityMethod method) => method switch
    {
        SensitivityMethod.Sqnr => Noise,
        SensitivityMethod.Kl => Kl,
        SensitivityMethod.Loss => LossIncrease,
        SensitivityMethod.Fisher => Fisher,
        SensitivityMethod.Hessian => Hessian,
        SensitivityMethod.Lrp => Lrp,
        _ => null,
    };
}

/// <summary>The whole model quantized at one format, on the same batches: its output noise and size, and the sum of
/// its nodes' single-layer noises (how far additivity holds).</summary>
public sealed record UniformScore(string Format, long Bytes, double Noise, double SqnrDb, double? Kl, double? LossIncrease, double? Top1Drop,
    double SumOfSingleNoises);

/// <summary>Inter-layer dependency of two neighbouring weighted nodes at one format: the output noise with both quantized
/// against the sum of their single-layer noises. <see cref="Interaction"/> = joint − sum: positive when their errors
/// compound, negative when they partly cancel (HAWQ-style additivity assumes 0).</summary>
public sealed record PairScore(string First, string Second, string Format, double Noise, double SumOfSingles)
{
    public double Interaction => Noise - SumOfSingles;
}

/// <summary>What <see cref="LayerSensitivity.Measure"/> found. <see cref="Rows"/>: one per (node, format), nodes in graph
/// order; <see cref="FloatBytes"/>: the float model's file size; <see cref="FixedBytes"/>: per format, the file bytes
/// that no node's choice changes (graph structure, other initializers), measured as the uniform file's size minus its
/// nodes' bytes.</summary>
public sealed record SensitivityTable(IReadOnlyList<string> Formats, IReadOnlyList<LayerScore> Rows, IReadOnlyList<UniformScore> Uniform,
    long FloatBytes, IReadOnlyDictionary<string, long> FixedBytes, long Samples, bool Classifier, bool Labelled)
{
    public IEnumerable<string> Nodes => Rows.Select(r => r.Node).Distinct();
    /// <summary>Neighbouring pairs (<see cref="SensitivityOptions.Pairs"/>); empty unless requested.</summary>
    public IReadOnlyList<PairScore> Pairs { get; init; } = [];
    public LayerScore? Row(string node, string format) => Rows.FirstOrDefault(r => r.Node == node && r.Format == format);
}

/// <summary>How <see cref="LayerSensitivity.Measure"/> runs.</summary>
public sealed record SensitivityOptions
{
    public int Threads { get; init; } = Environment.ProcessorCount;
    public CancellationToken Cancellation { get; init; }
    /// <summary>Phase ("quantize FORMAT", "measure FORMAT"), done, total.</summary>
    public IProgress<(string Phase, long Done, long Total)>? Progress { get; init; }
    /// <summary>Fisher diagonal and Hessian traces of the prepared float graph's weights (<see cref="GradientSensitivity"/>):
    /// when set, every row also gets the <see cref="SensitivityMethod.Fisher"/> and <see cref="SensitivityMethod.Hessian"/>
    /// estimates of its weight error.</summary>
    internal GradientStats? Gradients { get; init; }
    /// <summary>Layer relevances of the prepared float graph (<see cref="LayerRelevance.Compute"/>): when set, every row
    /// also gets <see cref="LayerScore.Relevance"/> and the <see cref="SensitivityMethod.Lrp"/> score.</summary>
    internal RelevanceStats? Relevance { get; init; }
    /// <summary>Also measure each pair of consecutive weighted nodes (graph order) quantized together: one more run per pair.</summary>
    public bool Pairs { get; init; }
}

/// <summary>
/// Per-layer, per-format sensitivity (issue 11 part 1): for each candidate format the model is quantized uniformly
/// (<see cref="FormatChoice.Uniform"/>, calibrated once per format on the same samples), then run once per quantized node
/// with only that node's Q/DQ outputs active (<see cref="NodeIsolation"/>) and compared with the float model on the
/// sensitivity batches. Cost per format: one quantization plus (nodes + 1) runs over the batches, which are held in memory.
/// </summary>
public static class LayerSensitivity
{
    /// <param name="choices">The candidates by name (<see cref="FormatChoice.All"/>); "float" among them adds float rows.</param>
    public static SensitivityTable Measure(Graph.Graph model, QuantizerConfig baseConfig, IReadOnlyDictionary<string, FormatChoice> choices,
        IReadOnlyList<IReadOnlyDictionary<string, Tensor>>? calibration, IReadOnlyList<EvalBatch> batches, SensitivityOptions? options = null)
    {
        options ??= new SensitivityOptions();
        var formats = choices.Keys.ToList();
        if (batches.Count == 0) throw new LowBitException(ErrorKind.Usage, "sensitivity needs at least one batch of data");
        var prepared = GraphPreparation.Run(model).Graph;
        if (prepared.Outputs.Count != 1)
            throw new LowBitException(ErrorKind.Usage, $"sensitivity compares one model output; the model has {prepared.Outputs.Count}: {string.Join(", ", prepared.Outputs.Select(o => o.Name))}");
        string output = prepared.Outputs[0].Name;
        var floatSession = new Session(prepared, new SessionOptions { Threads = options.Threads });
        var expected = batches.Select(b => floatSession.Run(b.Inputs, [output])[output].Clone()).ToList();
        bool classifier = expected[0].Rank == 2 && expected[0].Shape[1] > 1;
        bool labelled = classifier && batches.All(b => b.Labels is not null);
        var floatMetrics = labelled ? TaskMetrics(expected, batches) : default;
        var macs = NodeMacs.Of(prepared, batches[0].Inputs, options.Threads);
        double activationBits = baseConfig.Activations?.Format.BitsPerWeight ?? 32;
        double Bops(string node, string format) => macs.GetValueOrDefault(node) *
            (format == FormatChoice.FloatName ? 32.0 * 32 : Formats.FormatTable.Get(format).BitsPerWeight * activationBits);

        var rows = new List<LayerScore>();
        var uniform = new List<UniformScore>();
        var pairs = new List<PairScore>();
        var fixedBytes = new Dictionary<string, long>(StringComparer.Ordinal);
        long floatBytes = OnnxExporter.ToBytes(model).LongLength;
        var floatCost = new Dictionary<string, (long Parameters, long Bytes)>(StringComparer.Ordinal);
        foreach (var name in formats.Where(f => f != FormatChoice.FloatName))
        {
            options.Cancellation.ThrowIfCancellationRequested();
            options.Progress?.Report(($"quantize {name}", 0, 1));
            var config = baseConfig.With(choices[name].Weights);
            var q = Quantizer.Quantize(model, config, calibration, calibrationOptions: new CalibrationOptions()
                { Threads = options.Threads, Cancellation = options.Cancellation });
            var plan = LayerMatching.Match(prepared, q.Graph);
            var isolation = new NodeIsolation(q.Graph, plan.Points, options.Threads, options.Cancellation);
            var units = isolation.Units;
            var costs = NodeBytes.Of(q.Graph, prepared, plan.Points, units);
            long total = units.Count + 1, done = 0;
            Metrics Run(IReadOnlySet<string>? keep)
            {
                var outs = batches.Select(b => isolation.Run(b.Inputs, [output], keep)[output]).ToList();
                options.Progress?.Report(($"measure {name}", ++done, total));
                return Compare(expected, outs, batches, classifier, labelled, floatMetrics);
            }
            var all = Run(null);
            var weightPoints = plan.Points.Where(p => p.Kind == PointKind.Weight).ToList();
            var dequantized = options.Gradients is null ? null : isolation.Values(batches[0].Inputs, weightPoints.Select(p => p.PostName).Distinct());
            double sumNoise = 0;
            foreach (var u in units)
            {
                var m = Run(NodeIsolation.KeepSet([u]));
                var (parameters, bytes, fbytes) = costs[u.Key];
                floatCost[u.Key] = (parameters, fbytes);
                var (fisher, hessian) = dequantized is null ? default : GradientScores(options.Gradients!, u, weightPoints, dequantized);
                double? relevance = options.Relevance?.Normalized.GetValueOrDefault(u.Key);
                rows.Add(new LayerScore(u.Key, u.Node.OpType, name, parameters, bytes, m.Noise, m.SqnrDb, m.Kl, m.Loss, m.Top1Drop)
                {
                    Fisher = fisher, Hessian = hessian, Relevance = relevance, Lrp = relevance is double r ? LayerRelevance.Score(r, m.Noise) : null,
                    Macs = macs.GetValueOrDefault(u.Key), Bops = Bops(u.Key, name),
                });
                sumNoise += m.Noise;
            }
            if (options.Pairs)
            {
                var weighted = units.Where(u => costs[u.Key].Parameters > 0).ToList();
                total += Math.Max(0, weighted.Count - 1);
                for (int i = 0; i + 1 < weighted.Count; i++)
                {
                    var (a, b) = (weighted[i], weighted[i + 1]);
                    double single = rows.Single(r => r.Node == a.Key && r.Format == name).Noise + rows.Single(r => r.Node == b.Key && r.Format == name).Noise;
                    pairs.Add(new PairScore(a.Key, b.Key, name, Run(NodeIsolation.KeepSet([a, b])).Noise, single));
                }
            }
            long fileBytes = OnnxExporter.ToBytes(q.Graph).LongLength;
            fixedBytes[name] = fileBytes - units.Sum(u => costs[u.Key].Bytes);
            uniform.Add(new UniformScore(name, fileBytes, all.Noise, all.SqnrDb, all.Kl, all.Loss, all.Top1Drop, sumNoise));
        }
        if (formats.Contains(FormatChoice.FloatName))
            foreach (var (node, (parameters, bytes)) in floatCost)
            {
                string op = rows.First(r => r.Node == node).OpType;
                rows.Add(new LayerScore(node, op, FormatChoice.FloatName, parameters, bytes, 0, double.PositiveInfinity, classifier ? 0 : null,
                    labelled ? 0 : null, labelled ? 0 : null)
                {
                    Fisher = options.Gradients is null ? null : 0, Hessian = options.Gradients is null ? null : 0,
                    Relevance = options.Relevance?.Normalized.GetValueOrDefault(node), Lrp = options.Relevance is null ? null : 0,
                    Macs = macs.GetValueOrDefault(node), Bops = Bops(node, FormatChoice.FloatName),
                });
            }
        var order = rows.Select(r => r.Node).Distinct().Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
        var formatOrder = formats.Select((f, i) => (f, i)).ToDictionary(x => x.f, x => x.i, StringComparer.Ordinal);
        rows = rows.OrderBy(r => order[r.Node]).ThenBy(r => formatOrder[r.Format]).ToList();
        return new SensitivityTable(formats, rows, uniform, floatBytes, fixedBytes, batches.Sum(b => (long)b.Size), classifier, labelled) { Pairs = pairs };
    }

    /// <summary>Fisher and Hessian estimates of the unit's weight errors δ = dequantized − float (weights the gradient
    /// statistics do not cover, or stored in another layout, add nothing).</summary>
    private static (double?, double?) GradientScores(GradientStats g, IsolationUnit u, List<MatchPoint> weights, Dictionary<string, Tensor> dequantized)
    {
        double fisher = 0, hessian = 0;
        foreach (var p in weights.Where(p => u.Tensors.Contains(p.PostName)))
        {
            if (!g.HessianTrace.ContainsKey(p.RefName) || !dequantized.TryGetValue(p.PostName, out var w) || w.Length != p.RefConstant!.Length) continue;
            var delta = w.AsReadOnlySpan<float>().ToArray();
            System.Numerics.Tensors.TensorPrimitives.Subtract(delta, p.RefConstant.AsReadOnlySpan<float>(), delta);
            fisher += g.FisherLoss(p.RefName, delta);
            hessian += g.HessianLoss(p.RefName, delta);
        }
        return (fisher, hessian);
    }

    private readonly record struct Metrics(double Noise, double SqnrDb, double? Kl, double? Loss, double? Top1Drop);
    private readonly record struct Task(double Loss, double Top1);

    private static Metrics Compare(List<Tensor> expected, List<Tensor> outs, IReadOnlyList<EvalBatch> batches, bool classifier, bool labelled,
        Task floatTask)
    {
        var stats = new ErrorStats();
        double kl = 0;
        long rows = 0;
        for (int b = 0; b < expected.Count; b++)
        {
            var x = expected[b].AsReadOnlySpan<float>();
            var y = outs[b].AsReadOnlySpan<float>();
            stats.Add(x, y);
            if (!classifier) continue;
            int n = expected[b].Shape[0], c = expected[b].Shape[1];
            for (int r = 0; r < n; r++) kl += Divergence.SoftmaxKl(x.Slice(r * c, c), y.Slice(r * c, c));
            rows += n;
        }
        double noise = Math.Pow(10, -stats.Sqnr / 10);
        if (!double.IsFinite(noise)) noise = double.IsPositiveInfinity(stats.Sqnr) ? 0 : double.MaxValue;
        var task = labelled ? TaskMetrics(outs, batches) : default;
        return new Metrics(noise, stats.Sqnr, classifier ? kl / Math.Max(1, rows) : null,
            labelled ? task.Loss - floatTask.Loss : null, labelled ? (floatTask.Top1 - task.Top1) * 100 : null);
    }

    /// <summary>Mean cross-entropy and top-1 accuracy against the batches' labels.</summary>
    private static Task TaskMetrics(List<Tensor> logits, IReadOnlyList<EvalBatch> batches)
    {
        double loss = 0;
        long correct = 0, n = 0;
        for (int b = 0; b < logits.Count; b++)
        {
            int rows = logits[b].Shape[0];
            loss += Nn.Losses.CrossEntropy(logits[b], batches[b].Labels!).Value * rows;
            correct += Nn.Metrics.CorrectTopK(logits[b], batches[b].Labels!, 1);
            n += rows;
        }
        return new Task(loss / n, (double)correct / n);
    }
}
