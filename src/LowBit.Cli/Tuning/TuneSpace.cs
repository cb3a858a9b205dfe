namespace LowBit.Cli.Tuning;

/// <summary>
/// One whole PTQ configuration of <c>lowbit tune</c>: a value per dimension of <see cref="TuneSpace"/>, in the space's
/// dimension order. <see cref="Key"/> (<c>observer=mse;granularity=per-channel;...</c>) is stable: it names a trial in the
/// log and on the command line (<c>--trial KEY</c>), whatever order the dimensions were given in.
/// </summary>
internal sealed record TuneConfig(IReadOnlyList<string> Values)
{
    public string Get(string dimension) => Values[TuneSpace.IndexOf(dimension)];

    public string Key => string.Join(';', TuneSpace.Dimensions.Select((d, i) => $"{d}={Values[i]}"));

    public override string ToString() => Key;

    public bool Equals(TuneConfig? other) => other is not null && Values.SequenceEqual(other.Values);

    public override int GetHashCode() => Key.GetHashCode(StringComparison.Ordinal);
}

/// <summary>
/// The candidate values of every dimension. The grid is the Cartesian product, enumerated with the last dimension varying
/// fastest (a fixed order: grid search takes it as is). Values are the <c>lowbit quantize</c> flag values
/// (<see cref="TuneFlags"/> turns a config into flags); <c>exclude</c> names which weighted layers stay float:
/// none, first, last or first+last (in graph order).
/// </summary>
internal sealed class TuneSpace
{
    public static IReadOnlyList<string> Dimensions { get; } = ["observer", "granularity", "weight-range", "algorithm", "bias-correction", "exclude"];

    public static IReadOnlyList<string> Exclusions { get; } = ["none", "first", "last", "first+last"];

    /// <summary>3 × 2 × 2 × 1 × 2 × 4 = 96 configurations at the fixed weight and activation formats. The layer-wise
    /// algorithms (gptq, adaround, ...) cost 10–30× a round-to-nearest trial, so they are opt-in through --space.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> DefaultValues { get; } =
    [
        ["minmax", "mse", "percentile"],
        ["per-channel", "per-tensor"],
        ["minmax", "mse"],
        ["nearest"],
        ["none", "empirical"],
        ["none", "first", "last", "first+last"],
    ];

    public IReadOnlyList<IReadOnlyList<string>> Values { get; }

    public TuneSpace(IReadOnlyList<IReadOnlyList<string>> values)
    {
        if (values.Count != Dimensions.Count || values.Any(v => v.Count == 0)) throw new ArgumentException("one non-empty value list per dimension");
        Values = values;
    }

    public static TuneSpace Default { get; } = new(DefaultValues);

    public static int IndexOf(string dimension)
    {
        for (int i = 0; i < Dimensions.Count; i++)
            if (Dimensions[i] == dimension) return i;
        throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "not a tuning dimension");
    }

    public int Size => Values.Aggregate(1, (n, v) => n * v.Count);

    /// <summary>Every configuration, last dimension fastest.</summary>
    public IReadOnlyList<TuneConfig> Grid()
    {
        var all = new List<TuneConfig>(Size);
        var idx = new int[Values.Count];
        for (int n = 0; n < Size; n++)
        {
            all.Add(new TuneConfig(idx.Select((j, d) => Values[d][j]).ToArray()));
            for (int d = Values.Count - 1; d >= 0; d--)
            {
                if (++idx[d] < Values[d].Count) break;
                idx[d] = 0;
            }
        }
        return all;
    }

    public bool Contains(TuneConfig c) => c.Values.Count == Values.Count && c.Values.Select((v, d) => Values[d].Contains(v)).All(x => x);

    /// <summary>Features for the cost model: one indicator per (dimension, value) of the space; dimensions with a single
    /// value carry no information and are left out.</summary>
    public float[] Features(TuneConfig c)
    {
        var f = new List<float>();
        for (int d = 0; d < Values.Count; d++)
            if (Values[d].Count > 1)
                foreach (var v in Values[d]) f.Add(c.Values[d] == v ? 1f : 0f);
        return f.ToArray();
    }

    /// <summary>
    /// <c>observer=minmax,mse;exclude=none,first</c>: the listed dimensions take these values, the others keep
    /// <paramref name="defaults"/>'. Names and values are case-insensitive; a value's validity (an observer name, a
    /// granularity) is checked when the configs are built.
    /// </summary>
    public static TuneSpace Parse(string? spec, TuneSpace defaults)
    {
        if (spec is null) return defaults;
        var values = defaults.Values.ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in spec.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            string name = kv[0].ToLowerInvariant();
            if (kv.Length != 2 || !Dimensions.Contains(name))
                throw new LowBitException(ErrorKind.Usage, $"--space {spec}: '{part}' is not DIMENSION=V1,V2,...; dimensions: {string.Join(", ", Dimensions)}");
            if (!seen.Add(name)) throw new LowBitException(ErrorKind.Usage, $"--space {spec}: {name} is given twice");
            var list = kv[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => v.ToLowerInvariant()).ToList();
            if (list.Count == 0) throw new LowBitException(ErrorKind.Usage, $"--space {spec}: {name} has no values");
            if (list.Distinct().Count() != list.Count) throw new LowBitException(ErrorKind.Usage, $"--space {spec}: {name} lists a value twice");
            foreach (var v in list)
                if (v.Contains(';') || v.Contains('='))
                    throw new LowBitException(ErrorKind.Usage, $"--space {spec}: value '{v}' of {name} may not contain ';' or '='");
            if (name == "exclude" && list.FirstOrDefault(v => !Exclusions.Contains(v)) is string bad)
                throw new LowBitException(ErrorKind.Usage, $"--space {spec}: unknown exclusion '{bad}'; known: {string.Join(", ", Exclusions)}");
            values[IndexOf(name)] = list;
        }
        return new TuneSpace(values);
    }

    /// <summary>Parses a <see cref="TuneConfig.Key"/>: every dimension once, in any order.</summary>
    public static TuneConfig ParseKey(string key, string flag)
    {
        var values = new string?[Dimensions.Count];
        foreach (var part in key.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            int d = kv.Length == 2 ? Dimensions.ToList().IndexOf(kv[0].ToLowerInvariant()) : -1;
            if (d < 0 || values[d] is not null || kv[1].Length == 0)
                throw new LowBitException(ErrorKind.Usage, $"{flag} {key}: expected {string.Join(";", Dimensions.Select(x => x + "=V"))} (each dimension once; see lowbit tune --list)");
            values[d] = kv[1].ToLowerInvariant();
        }
        if (values.Any(v => v is null))
            throw new LowBitException(ErrorKind.Usage, $"{flag} {key}: missing {string.Join(", ", Dimensions.Where((_, i) => values[i] is null))}");
        return new TuneConfig(values.Select(v => v!).ToArray());
    }
}
