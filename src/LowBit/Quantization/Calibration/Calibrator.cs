using LowBit.Data;
using LowBit.Quantization.Observers;
using LowBit.Quantization.Qdq;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Quantization.Calibration;

/// <summary>
/// Runs the prepared float graph over the calibration samples and streams every marked activation into its group's
/// observer through a <see cref="Session"/> value hook (no graph surgery, no values kept: memory is the observers' fixed
/// histograms plus one run's intermediates). The session runs unoptimized so every marked value exists by name.
/// Non-finite values in an input or a marked activation stop calibration with the sample index and tensor name.
/// With <see cref="CalibrationOptions.Streams"/>, samples run in order and each call's state outputs are the next call's
/// state inputs (<see cref="StreamFeedback"/>), so state tensors are observed over the real trajectory.
/// </summary>
internal static class Calibrator
{
    public static CalibrationResult Run(Graph.Graph prepared, QdqPlan plan, IEnumerable<IReadOnlyDictionary<string, Tensor>> data,
        CalibrationOptions options, IProgress<CalibrationProgress>? progress)
    {
        var groups = plan.Groups();
        var observers = new IObserver[groups.Count];
        var slot = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < groups.Count; i++)
        {
            var (root, members) = groups[i];
            var cfg = plan.GroupConfig(root, members);
            observers[i] = cfg.Observer.Create(cfg.Format, cfg.Scheme);
            foreach (var m in members) slot[m] = i;
        }

        var streams = new StreamFeedback(prepared, options.Streams);
        var session = new Session(prepared, new SessionOptions { Optimize = false, Threads = options.Threads ?? Environment.ProcessorCount });
        var inputRanges = new InputRangeCheck.Recorder();
        int sample = 0;
        session.AddHook((name, _, value) =>
        {
            if (!slot.TryGetValue(name, out int k) || value.DType != DType.Float32) return null;
            var span = value.AsReadOnlySpan<float>();
            CheckFinite(span, sample, name, "activation");
            observers[k].Observe(span);
            return null;
        });

        int? total = data switch
        {
            IReadOnlyCollection<IReadOnlyDictionary<string, Tensor>> c => c.Count,
            System.Collections.ICollection c => c.Count,
            _ => null,
        };
        if (options.MaxSamples is int max) total = total is int t ? Math.Min(t, max) : max;
        if (total is int known) progress?.Report(new CalibrationProgress(0, known));

        foreach (var sampleInputs in data)
        {
            if (options.MaxSamples is int limit && sample >= limit) break;
            var inputs = streams.Feed(sampleInputs);
            foreach (var (name, t) in inputs)
                if (t.DType == DType.Float32)
                {
                    CheckFinite(t.AsReadOnlySpan<float>(), sample, name, "input");
                    inputRanges.Add(name, t.AsReadOnlySpan<float>());
                }
            try
            {
                var outputs = session.Run(inputs);
                streams.Advance(outputs);
            }
            catch (LowBitException e) when (!e.Message.StartsWith("calibration sample", StringComparison.Ordinal))
            {
                throw new LowBitException(e.Kind, $"calibration sample {sample}: {e.Message}");
            }
            sample++;
            progress?.Report(new CalibrationProgress(sample, total));
        }
        if (sample == 0)
            throw new LowBitException(ErrorKind.InvalidInput, "the calibration data is empty: static quantization needs at least one sample");

        var ranges = new Dictionary<string, TensorRange>(StringComparer.Ordinal);
        var raw = new List<(string Tensor, string Message)>();
        for (int i = 0; i < groups.Count; i++)
        {
            var r = observers[i].Compute();
            ranges[groups[i].Root] = new TensorRange(r.Min, r.Max, r.Count, r.Warnings);
            foreach (var w in r.Warnings) raw.Add((groups[i].Root, w));
        }
        var warnings = Summarize(raw);
        if (sample < options.MinSamples)
            warnings.Insert(0, $"calibrated on {sample} sample{(sample == 1 ? "" : "s")}; at least {options.MinSamples} are recommended for representative ranges");
        return new CalibrationResult(ranges, sample, warnings, "off") { Inputs = inputRanges.Ranges };
    }

    private static void CheckFinite(ReadOnlySpan<float> v, int sample, string name, string what) =>
        DataValidation.ThrowIfNonFinite(v, $"calibration sample {sample}", what, name);

    /// <summary>One line per distinct warning, naming the first tensor and how many others share it.</summary>
    internal static List<string> Summarize(IEnumerable<(string Tensor, string Message)> raw) =>
        raw.GroupBy(w => w.Message)
            .Select(g => $"{g.First().Tensor}{(g.Count() > 1 ? $" and {g.Count() - 1} other tensor{(g.Count() > 2 ? "s" : "")}" : "")}: {g.Key}")
            .ToList();
}
