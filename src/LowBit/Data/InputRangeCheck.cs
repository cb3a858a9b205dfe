using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using LowBit.Tensors;

namespace LowBit.Data;

/// <summary>The values one model input took over some samples: exact min and max of the finite values, and whether all
/// of them were integers (pixels cast from uint8 without /255 are).</summary>
public sealed record InputRange(string Name, float Min, float Max, bool Integral, long Count);

/// <summary>
/// Data sanity across quantize and eval/compare: the range each input was calibrated on (stored in the manifest) against
/// the range the evaluation data reaches. A model calibrated on [0, 1] and fed 0–255 pixels (an integer array cast to
/// float unscaled) scores 45.7 % instead of 92 % on fashion-cnn; an image preset differing from calibration's shifts
/// every input (SQNR 9 dB instead of 28). Both pass every shape check, so only the values can tell.
/// </summary>
public static class InputRangeCheck
{
    /// <summary>Samples scanned to estimate an evaluation range (the first ones; the extremes of image data settle fast).</summary>
    public const int ScanSamples = 256;

    /// <summary>How far outside the calibrated range, in units of its width, the data may reach before a warning.</summary>
    public const double Tolerance = 0.25;

    /// <summary>Accumulates <see cref="InputRange"/>s sample by sample, per input name.</summary>
    public sealed class Recorder
    {
        private readonly Dictionary<string, (float Min, float Max, bool Integral, long Count)> stats = new(StringComparer.Ordinal);

        public void Add(string name, ReadOnlySpan<float> values)
        {
            var (mn, mx, integral, n) = stats.TryGetValue(name, out var s) ? s : (float.PositiveInfinity, float.NegativeInfinity, true, 0L);
            if (values.IsEmpty) return;
            if (TensorPrimitives.IsFiniteAll(values))
            {
                // the calibration hot path: every input of every sample, so vector min/max and an integrality scan
                // that stops at the first fraction (real data has one within a few elements)
                mn = MathF.Min(mn, TensorPrimitives.Min(values));
                mx = MathF.Max(mx, TensorPrimitives.Max(values));
                if (integral) foreach (float v in values) if (v != MathF.Round(v)) { integral = false; break; }
                n += values.Length;
            }
            else
                foreach (float v in values)
                {
                    if (!float.IsFinite(v)) continue;
                    if (v < mn) mn = v;
                    if (v > mx) mx = v;
                    integral &= v == MathF.Round(v);
                    n++;
                }
            stats[name] = (mn, mx, integral, n);
        }

        public void Add(IReadOnlyDictionary<string, Tensor> sample)
        {
            foreach (var (name, t) in sample)
                if (t.DType == DType.Float32) Add(name, t.AsReadOnlySpan<float>());
        }

        public IReadOnlyList<InputRange> Ranges =>
            stats.Where(kv => kv.Value.Count > 0).Select(kv => new InputRange(kv.Key, kv.Value.Min, kv.Value.Max, kv.Value.Integral, kv.Value.Count)).ToList();
    }

    /// <summary>The range of <paramref name="input"/> over the first <paramref name="samples"/> samples of <paramref name="data"/>;
    /// null when they hold NaN or ±Inf (the run then stops with that sample named, a range warning would only add noise).</summary>
    public static InputRange? Observe(Dataset data, string input, int samples = ScanSamples)
    {
        var r = new Recorder();
        var buffer = new float[data.SampleLength];
        for (int i = 0; i < Math.Min(samples, data.Count); i++)
        {
            data.ReadSample(i, buffer);
            if (!TensorPrimitives.IsFiniteAll<float>(buffer)) return null;
            r.Add(input, buffer);
        }
        return r.Ranges.FirstOrDefault();
    }

    /// <summary>
    /// A warning when <paramref name="seen"/> is far from <paramref name="calibrated"/>: it reaches more than
    /// <see cref="Tolerance"/>·w beyond either end (w = calibrated width), or spans less than a quarter of w (a
    /// normalization the calibration data did not have). Integer data reaching past 1.5 where calibration stayed within
    /// [−1.5, 1.5] is named as unscaled 8-bit pixels. Null when the ranges agree.
    /// </summary>
    public static string? Compare(InputRange calibrated, InputRange seen, string? calibratedData, string seenData)
    {
        double w = Math.Max((double)calibrated.Max - calibrated.Min, 1e-6), slack = Tolerance * w;
        bool beyond = seen.Min < calibrated.Min - slack || seen.Max > calibrated.Max + slack;
        bool narrow = (double)seen.Max - seen.Min < 0.25 * w && seen.Count >= 1000;
        if (!beyond && !narrow) return null;
        string head = $"input '{calibrated.Name}': {seenData} spans [{seen.Min:G4}, {seen.Max:G4}], but the model was calibrated on " +
            $"[{calibrated.Min:G4}, {calibrated.Max:G4}]{(calibratedData is null ? "" : $" ({calibratedData})")}";
        if (seen.Integral && seen.Max > 1.5 && seen.Max <= 255 && !calibrated.Integral && Math.Max(-calibrated.Min, calibrated.Max) <= 1.5)
            return head + "; its values are integers up to 255: unscaled 8-bit pixels cast to float? Divide by 255 (or give idx=/images= data, which are scaled)";
        return head + "; results will not be representative: use the same preprocessing (image preset, scaling) as calibration";
    }
}
