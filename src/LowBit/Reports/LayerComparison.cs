using LowBit.Data;
using LowBit.Quantization.Observers;
using LowBit.Quantization.Prepare;
using LowBit.Reports.Metrics;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Reports;

/// <summary>
/// "Where did the accuracy go": runs a float model and its quantized QDQ counterpart on the same batches in LowBit's
/// <see cref="Session"/> (unoptimized, so every value keeps its name), pairs their tensors (<see cref="LayerMatching"/>)
/// and measures per tensor SQNR, cosine and max error against the float value, worst first; optionally attributes the
/// output error to single layers (<see cref="ErrorAttribution"/>).
/// Memory: statistics are aggregated per batch. Within one batch the float run keeps a copy of each matched float
/// value until the quantized run has compared it, so the peak is about one batch of the model's activations (choose
/// the batch size accordingly: ResNet18 at 224² needs roughly 10 MB per sample).
/// </summary>
public static class LayerComparison
{
    /// <summary>Compares over a dataset (single-input models), <paramref name="batchSize"/> samples per run (or the
    /// batch size the model's input fixes).</summary>
    public static LayerComparisonResult Run(Graph.Graph reference, Graph.Graph quantized, Dataset data, int batchSize = 8, int? maxSamples = null,
        LayerComparisonOptions? options = null, IProgress<EvalProgress>? progress = null)
    {
        var inputs = reference.RealInputs.ToList();
        if (inputs.Count != 1)
            throw new LowBitException(ErrorKind.Usage, $"a dataset feeds one input, the model has {inputs.Count}: {string.Join(", ", inputs.Select(v => v.Name))}");
        int batch = EvalData.BatchSizeFor(inputs[0], batchSize);
        long total = Math.Min(data.Count, maxSamples ?? int.MaxValue);
        var withTotal = progress is null ? null : new TotalProgress(progress, total);
        return Run(reference, quantized, EvalData.Batches(data, inputs[0].Name, batch, maxSamples).Select(b => b.Inputs), options, withTotal);
    }

    /// <summary>Fills in the sample total of the "compare" phase, which the batch overload cannot know.</summary>
    private sealed class TotalProgress(IProgress<EvalProgress> inner, long total) : IProgress<EvalProgress>
    {
        public void Report(EvalProgress value) => inner.Report(value.Phase == "compare" ? value with { Total = total } : value);
    }

    /// <summary>Compares over <paramref name="batches"/> (model inputs per run; enumerated once).</summary>
    public static LayerComparisonResult Run(Graph.Graph reference, Graph.Graph quantized, IEnumerable<IReadOnlyDictionary<string, Tensor>> batches,
        LayerComparisonOptions? options = null, IProgress<EvalProgress>? progress = null)
    {
        options ??= new LayerComparisonOptions();
        var warnings = new List<string>();
        var floatGraph = options.PrepareReference ? GraphPreparation.Run(reference).Graph : reference;
        var plan = LayerMatching.Match(floatGraph, quantized);
        if (plan.Points.All(p => p.Kind == PointKind.Float))
            warnings.Add("the quantized model has no QuantizeLinear/DequantizeLinear pair or dequantized weight matching the float model");

        var state = new CompareState(plan.Points, options.HistogramBins);
        var sessionOptions = new SessionOptions { Threads = options.Threads, Optimize = false };
        var floatSession = new Session(floatGraph, sessionOptions);
        var quantSession = new Session(quantized, sessionOptions);
        floatSession.AddHook(state.OnReference);
        quantSession.AddHook(state.OnTest);
        if (options.Cancellation.CanBeCanceled)
        {
            floatSession.AddHook(options.CancellationHook);
            quantSession.AddHook(options.CancellationHook);
        }

        var outputs = ErrorAttribution.OutputPairs(floatGraph, quantized);
        var outputStats = new ErrorStats();
        var kept = new List<IReadOnlyDictionary<string, Tensor>>();
        long samples = 0, keptSamples = 0;
        foreach (var inputs in batches)
        {
            long size = BatchSize(inputs);
            DataValidation.ThrowIfNonFinite(inputs, samples);
            var x = floatSession.Run(inputs);
            var y = quantSession.Run(inputs);
            foreach (var (f, q) in outputs) AddOutput(outputStats, x[f], y[q]);
            state.EndBatch();
            if (options.Attribution && kept.Count < options.AttributionBatches)
            {
                kept.Add(inputs);
                keptSamples += size;
            }
            samples += size;
            progress?.Report(new EvalProgress("compare", samples, null));
        }
        if (samples == 0) throw new LowBitException(ErrorKind.InvalidInput, "no samples to compare the models on");

        var layers = state.Results(warnings);
        IReadOnlyList<LayerAttribution>? attribution = null;
        double? attributionSqnr = null;
        IReadOnlyList<string> keep = [];
        if (options.Attribution)
            (attribution, attributionSqnr, keep) = ErrorAttribution.Run(floatGraph, quantized, plan.Points, kept, options, progress, warnings);
        double? outputSqnr = outputs.Count > 0 && outputStats.Count > 0 ? outputStats.Sqnr : null;
        return new LayerComparisonResult(samples, layers, attribution, outputSqnr, keep, plan.Unmatched, warnings)
        {
            AttributionSamples = attribution is null ? null : keptSamples,
            AttributionOutputSqnrDb = attributionSqnr,
        };
    }

    private static long BatchSize(IReadOnlyDictionary<string, Tensor> inputs) =>
        inputs.Count == 0 ? 0 : inputs.Values.First() is { Rank: > 0 } t ? t.Shape[0] : 1;

    /// <summary>Pools the model outputs of both runs into one SQNR (as <see cref="ErrorAttribution"/> does); outputs of
    /// different sizes are not comparable and are left out.</summary>
    private static void AddOutput(ErrorStats stats, Tensor reference, Tensor test)
    {
        var x = OutputFidelityAccumulator.Floats(reference);
        var y = OutputFidelityAccumulator.Floats(test);
        if (x.Length == y.Length) stats.Add(x, y);
    }

    /// <summary>Per-point statistics and the float copies of the current batch.</summary>
    private sealed class CompareState
    {
        private readonly List<MatchPoint> points;
        private readonly ErrorStats[] post, pre;
        private readonly bool[] staticDone;
        private readonly Dictionary<string, List<(int Point, bool Pre)>> uses = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (float[] Data, int Length)> copies = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (float Min, float Max)> ranges = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Histogram> histograms = new(StringComparer.Ordinal);
        private readonly HashSet<string> mismatched = new(StringComparer.Ordinal);

        public CompareState(List<MatchPoint> points, int bins)
        {
            this.points = points;
            post = points.Select(_ => new ErrorStats()).ToArray();
            pre = points.Select(_ => new ErrorStats()).ToArray();
            staticDone = new bool[points.Count];
            void Use(string name, int i, bool isPre)
            {
                if (!uses.TryGetValue(name, out var l)) uses[name] = l = new();
                l.Add((i, isPre));
            }
            for (int i = 0; i < points.Count; i++)
            {
                var p = points[i];
                Use(p.PostName, i, false);
                if (p.PreName is string x) Use(x, i, true);
                if (!p.IsStatic) copies.TryAdd(p.RefName, (Array.Empty<float>(), -1));
                if (p.Kind == PointKind.Activation && bins > 0) histograms.TryAdd(p.RefName, new Histogram(bins));
            }
        }

        /// <summary>Float run: copy each needed value (its buffer is reused after its readers ran) and track its range.</summary>
        public Tensor? OnReference(string name, Graph.Node? producer, Tensor value)
        {
            if (value.DType != DType.Float32 || !copies.TryGetValue(name, out var slot)) return null;
            var span = value.AsReadOnlySpan<float>();
            var data = slot.Data.Length >= span.Length ? slot.Data : new float[span.Length];
            span.CopyTo(data);
            copies[name] = (data, span.Length);
            var (mn, mx, finite) = RangeStats.Of(span);
            if (finite > 0)
                ranges[name] = ranges.TryGetValue(name, out var r) ? (Math.Min(r.Min, mn), Math.Max(r.Max, mx)) : (mn, mx);
            if (histograms.TryGetValue(name, out var h)) h.Add(span);
            return null;
        }

        /// <summary>Quantized run: compare each matched value with its float copy (or the float initializer).</summary>
        public Tensor? OnTest(string name, Graph.Node? producer, Tensor value)
        {
            if (!uses.TryGetValue(name, out var list) || value.DType != DType.Float32) return null;
            var y = value.AsReadOnlySpan<float>();
            foreach (var (i, isPre) in list)
            {
                var p = points[i];
                ReadOnlySpan<float> x;
                if (p.RefConstant is Tensor c)
                {
                    if (staticDone[i] || c.DType != DType.Float32) continue;
                    staticDone[i] = true;
                    if (!c.Shape.SequenceEqual(value.Shape))
                    {
                        mismatched.Add($"{name}: shape {value.ShapeString} in the quantized model, {c.ShapeString} in the float model ('{p.RefName}')");
                        continue;
                    }
                    x = c.AsReadOnlySpan<float>();
                }
                else if (copies.TryGetValue(p.RefName, out var copy) && copy.Length >= 0) x = copy.Data.AsSpan(0, copy.Length);
                else continue;
                if (x.Length != y.Length)
                {
                    mismatched.Add($"{name}: {y.Length} values in the quantized model, {x.Length} in the float model ('{p.RefName}')");
                    continue;
                }
                (isPre ? pre[i] : post[i]).Add(x, y);
            }
            return null;
        }

        /// <summary>Forgets this batch's float values (keeps the buffers for the next batch).</summary>
        public void EndBatch()
        {
            foreach (var k in copies.Keys.ToList()) copies[k] = (copies[k].Data, -1);
        }

        public List<LayerError> Results(List<string> warnings)
        {
            warnings.AddRange(mismatched.Select(m => "shape mismatch, not compared: " + m));
            var rows = new List<LayerError>();
            for (int i = 0; i < points.Count; i++)
            {
                var p = points[i];
                var s = post[i];
                if (s.Count + s.NonFinite == 0) continue;  // never float32, or never produced
                double lo, hi;
                if (p.RefConstant is Tensor c) (lo, hi) = MinMax(c);
                else (lo, hi) = ranges.TryGetValue(p.RefName, out var r) ? (r.Min, r.Max) : (double.NaN, double.NaN);
                HistogramData? hist = histograms.TryGetValue(p.RefName, out var h) && h.HasRange
                    ? new HistogramData(h.Lo, h.Width, h.Counts.ToArray()) : null;
                var b = pre[i];
                rows.Add(new LayerError(p.RefName,
                    p.KindName, p.Node?.Name is { Length: > 0 } nn ? nn : p.Node?.DisplayName, p.Node?.OpType ?? "Input", p.Format,
                    s.Sqnr, s.Cosine, s.MaxAbsError, p.PreName is null || b.Count == 0 ? null : b.Sqnr, lo, hi, s.Count + s.NonFinite, hist));
                if (s.NonFinite > 0) warnings.Add($"{p.PostName}: {s.NonFinite} NaN/Inf values left out of the comparison");
            }
            return rows.OrderBy(r => double.IsNaN(r.SqnrDb) ? double.NegativeInfinity : r.SqnrDb)
                .ThenBy(r => r.Tensor, StringComparer.Ordinal).ToList();
        }

        private static (double, double) MinMax(Tensor t)
        {
            var (mn, mx, finite) = RangeStats.Of(t.AsReadOnlySpan<float>());
            return finite == 0 ? (double.NaN, double.NaN) : (mn, mx);
        }
    }
}
