namespace LowBit.Quantization.Calibration;

/// <summary>The range an observer chose for one scale group, with the finite values it saw and its warnings.</summary>
internal sealed record TensorRange(float Min, float Max, long Count, IReadOnlyList<string> Warnings);

/// <summary>Ranges per scale group (keyed by the group's root tensor), the number of samples, warnings, and whether the
/// cache was used ("off", "hit", "miss").</summary>
internal sealed record CalibrationResult(Dictionary<string, TensorRange> Ranges, int Samples, List<string> Warnings, string Cache)
{
    /// <summary>Each float input's range over the calibration samples (null when loaded from the cache).</summary>
    public IReadOnlyList<Data.InputRange>? Inputs { get; init; }
}
