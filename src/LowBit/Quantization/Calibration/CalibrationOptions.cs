namespace LowBit.Quantization;

/// <summary>Progress of calibration: samples run so far, and the total when the data source knows it.</summary>
public readonly record struct CalibrationProgress(int Done, int? Total);

/// <summary>
/// A recurrent state carried between calibration calls: after each call, graph output <see cref="Output"/> becomes input
/// <see cref="Input"/> of the next call, so a sequence of chunks (audio frames, tokens) sees the state values a deployed
/// streaming loop sees. The first call gets <see cref="Initial"/>, else the first sample's own value for the input, else
/// zeros of the input's declared shape (every dim must then be fixed).
/// </summary>
public sealed record StreamBinding
{
    public string Output { get; }
    public string Input { get; }
    public Tensors.Tensor? Initial { get; }

    public StreamBinding(string output, string input, Tensors.Tensor? initial = null)
    {
        if (string.IsNullOrWhiteSpace(output) || string.IsNullOrWhiteSpace(input))
            throw new LowBitException(ErrorKind.Usage, $"a stream binding needs an output and an input name, got '{output}={input}'");
        Output = output;
        Input = input;
        Initial = initial;
    }

    /// <summary>Parses <c>OUTPUT=INPUT</c> (the form of <c>--stream</c>).</summary>
    public static StreamBinding Parse(string text)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0 || eq == text.Length - 1)
            throw new LowBitException(ErrorKind.Usage, $"'{text}': expected OUTPUT=INPUT (a model output fed back as the next call's input)");
        return new StreamBinding(text[..eq], text[(eq + 1)..]);
    }

    public override string ToString() => $"{Output}={Input}";
}

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

    /// <summary>The calibration data spec as the user wrote it (image preset included), recorded in the manifest so
    /// eval/compare can warn when their data is prepared differently.</summary>
    public string? DataSpec { get; init; }

    /// <summary>States fed back from one call to the next (streaming models); samples are then run in order as one
    /// sequence. Part of the cache key.</summary>
    public IReadOnlyList<StreamBinding> Streams
    {
        get => streams;
        init
        {
            foreach (var g in value.GroupBy(b => b.Input).Where(g => g.Count() > 1))
                throw new LowBitException(ErrorKind.Usage, $"stream input '{g.Key}' is fed by {g.Count()} outputs ({string.Join(", ", g)})");
            streams = value.ToArray();
        }
    }

    private readonly StreamBinding[] streams = [];

    /// <summary>Progress of the weight algorithms (<see cref="AlgorithmConfig"/>), layer by layer.</summary>
    public IProgress<Algorithms.AlgorithmProgress>? AlgorithmProgress { get; init; }

    /// <summary>Stops calibration and the weight algorithms between samples and iterations.</summary>
    public CancellationToken Cancellation { get; init; }

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
