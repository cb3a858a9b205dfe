namespace LowBit.Quantization;

/// <summary>Progress of calibration: samples run so far, and the total when the data source knows it.</summary>
public readonly record struct CalibrationProgress(int Done, int? Total);

/// <summary>
/// Calibration settings. A sample is one dictionary of model inputs (it may hold a batch). With <see cref="CachePath"/>
/// set, the observed ranges are saved there keyed by model hash, <see cref="DataKey"/> (a description of the data that
/// changes when the data does, e.g. "fashion-mnist:train[0:512]") and the observer settings; a rerun with the same key
/// loads them and skips calibration.
/// </summary>
public sealed record CalibrationOptions
{
    public int? MaxSamples { get; }
    public string? CachePath { get; }
    public string? DataKey { get; }
    /// <summary>Below this many samples a warning says the ranges may not be representative.</summary>
    public int MinSamples { get; }
    /// <summary>Threads of the calibration session's kernels (null: all cores). Not part of the cache key: ranges do not
    /// depend on it.</summary>
    public int? Threads { get; init; }

    public CalibrationOptions(int? maxSamples = null, string? cachePath = null, string? dataKey = null, int minSamples = 16)
    {
        if (maxSamples is < 1) throw new LowBitException(ErrorKind.Usage, $"calibration sample limit must be at least 1, got {maxSamples}");
        if (minSamples < 1) throw new LowBitException(ErrorKind.Usage, $"minimum calibration samples must be at least 1, got {minSamples}");
        if (cachePath is not null && string.IsNullOrWhiteSpace(dataKey))
            throw new LowBitException(ErrorKind.Usage, "a calibration cache needs a data key describing the calibration data (so a different data set does not hit the cache)");
        MaxSamples = maxSamples;
        CachePath = cachePath;
        DataKey = dataKey;
        MinSamples = minSamples;
    }

    public static CalibrationOptions Default { get; } = new();
}
