using LowBit.Formats;

namespace LowBit.Quantization.Search;

/// <summary>
/// One per-layer candidate of a mixed-precision search: a weight format (at the base config's granularity, scheme and
/// range rule; activations as the base config says) or <see cref="Float"/>, which keeps the node float (weights and the
/// activations it marks).
/// </summary>
public sealed record FormatChoice
{
    public const string FloatName = "float";

    public string Name { get; }
    /// <summary>Null for <see cref="Float"/>.</summary>
    public WeightQuantConfig? Weights { get; }

    private FormatChoice(string name, WeightQuantConfig? weights)
    {
        Name = name;
        Weights = weights;
    }

    public static FormatChoice Float { get; } = new(FloatName, null);

    public bool IsFloat => Weights is null;

    /// <summary>The node override that applies this choice.</summary>
    public NodeOverride Override => Weights is null ? NodeOverride.Float : new NodeOverride(weights: Weights);

    /// <summary>The config that quantizes every node with this format's weights: <paramref name="baseConfig"/> with its
    /// weight format replaced (granularity, scheme and scale format kept; the range rule applied as for the format alone).</summary>
    public static QuantizerConfig Uniform(QuantizerConfig baseConfig, INumberFormat format, WeightRange? range)
    {
        var w = baseConfig.Weights;
        return baseConfig.With(new WeightQuantConfig(format, w.Granularity, w.Scheme, range, w.ScaleFormat));
    }

    /// <summary>The choice of <paramref name="format"/> with the weights a uniform quantization at it resolved to, so a
    /// node's override reproduces what its sensitivity was measured with.</summary>
    public static FormatChoice Of(QuantizerConfig uniform) => new(uniform.Weights.Format.Name, uniform.Weights);

    /// <summary>The choices of <paramref name="names"/> on top of <paramref name="baseConfig"/>, by name, with weight
    /// range <paramref name="range"/> (null: each format's default rule, <see cref="WeightRangeDefault"/>).</summary>
    public static IReadOnlyDictionary<string, FormatChoice> All(QuantizerConfig baseConfig, IEnumerable<string> names, WeightRange? range) =>
        names.ToDictionary(n => n, n => n == FloatName ? Float : Of(Uniform(baseConfig, FormatTable.Get(n), range)), StringComparer.Ordinal);

    /// <summary>Parses "int8,int4,float" (format names from <see cref="FormatTable"/>, plus "float"); duplicates and an
    /// empty list are usage errors naming <paramref name="flag"/>.</summary>
    public static IReadOnlyList<string> ParseList(string list, string flag)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).ToList();
        if (names.Count == 0) throw new LowBitException(ErrorKind.Usage, $"{flag}: give at least one format (e.g. int8,int4,float)");
        foreach (var n in names)
        {
            if (names.Count(x => x == n) > 1) throw new LowBitException(ErrorKind.Usage, $"{flag} {list}: '{n}' is listed twice");
            if (n != FloatName) _ = FormatTable.Get(n);
        }
        return names;
    }

    public override string ToString() => Name;
}
