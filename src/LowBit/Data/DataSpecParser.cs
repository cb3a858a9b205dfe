using System.Globalization;
using System.Text.RegularExpressions;
using LowBit.Data.Text;

namespace LowBit.Data;

/// <summary>Parses <c>KIND[:VARIANT][=VALUE](,KEY=VALUE)*</c> into a <see cref="DataSpec"/> record.</summary>
internal static partial class DataSpecParser
{
    // Keys are option names or, for npy/npz, model input names (which may hold capitals, '_', '.', ':').
    // Bare flags (keep-aspect) are split too, only where the flag ends the part.
    [GeneratedRegex(@",(?=[A-Za-z_][A-Za-z0-9_.:-]*=|keep-aspect(?:,|$))")]
    private static partial Regex OptionSplit();

    [GeneratedRegex(@"^(?<kind>[a-z][a-z0-9-]*)(?::(?<variant>[^=]*))?(?:=(?<value>.*))?$", RegexOptions.Singleline)]
    private static partial Regex Head();

    private static readonly Dictionary<string, string[]> KeysByKind = new()
    {
        ["fashion-mnist"] = [],
        ["fashion-mnist-1k"] = [],
        ["idx"] = ["labels", "classes"],
        ["images"] = ["preset", "size", "crop", "crops", "seed", "height", "keep-aspect"],
        ["npy"] = ["labels"],
        ["npz"] = [],
        ["random"] = ["seed"],
        ["text"] = ["seq", "val", "vocab"],
        ["zeroq"] = ["iterations", "lr", "seed", "shape"],
    };

    public static DataSpec Parse(string text)
    {
        string spec = text.Trim();
        if (spec.Length == 0) throw Error(text, "empty data spec; known kinds: " + Known);
        var parts = OptionSplit().Split(spec);
        var m = Head().Match(parts[0]);
        string kind = m.Success ? m.Groups["kind"].Value : parts[0];
        if (!m.Success || !KeysByKind.TryGetValue(kind, out var allowed))
            throw Error(text, $"unknown data kind '{kind.Split(':', '=')[0]}'; known: {Known}");
        string? variant = m.Groups["variant"].Success ? m.Groups["variant"].Value : null;
        string? value = m.Groups["value"].Success ? m.Groups["value"].Value : null;
        var options = new Dictionary<string, string>();
        var feeds = new List<KeyValuePair<string, string>>();
        foreach (var part in parts.Skip(1))
        {
            int eq = part.IndexOf('=');
            string key = eq < 0 ? part : part[..eq], v = eq < 0 ? "" : part[(eq + 1)..];
            if (kind is "npy" or "npz" && !allowed.Contains(key))
            {
                if (v.Length == 0) throw Error(text, $"input '{key}' has an empty source; give DIR, FILE.npy or const:VALUE");
                if (feeds.Any(f => f.Key == key)) throw Error(text, $"input '{key}' given twice");
                feeds.Add(new(key, v));
                continue;
            }
            if (!allowed.Contains(key))
                throw Error(text, allowed.Length == 0
                    ? $"{kind} takes no options (got {key}=)"
                    : $"unknown option '{key}' for {kind}; known: {string.Join(", ", allowed)}");
            if (!options.TryAdd(key, v)) throw Error(text, $"option '{key}' given twice");
        }
        var p = new Parts(text, kind, variant, value, options);
        return kind switch
        {
            "fashion-mnist" => FashionMnist(p),
            "fashion-mnist-1k" => p.NoVariant().NoValue().Done(new FashionMnistSpec(FashionMnistSplit.Test1k)),
            "idx" => p.NoVariant().Done(new IdxSpec(p.Path("IMAGES"), p.Get("labels"), p.Int("classes", 1))),
            "images" => p.NoVariant().Done(new ImageFolderSpec(p.Path("DIR"), ImageOptions(p))),
            "npy" => p.NoVariant().Done(new NpySpec(p.Path("FILE_OR_DIR"), p.Get("labels")) { Inputs = Feeds(feeds) }),
            "npz" => p.NoVariant().Done(new NpzSpec(p.Path("DIR_OR_FILE")) { Inputs = Feeds(feeds) }),
            "random" => Random(p),
            "zeroq" => ZeroQSpec.Parse(p.Spec, p.Variant, p.Value, p.Get),
            _ => p.NoVariant().Done(new TextSpec(p.Path("FILE"), TextOptions(p)) { Vocab = NonEmpty(p, "vocab") }),
        };
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Feeds(List<KeyValuePair<string, string>> feeds) =>
        feeds.Count == 0 ? Array.Empty<KeyValuePair<string, string>>() : feeds.ToArray();

    private static string? NonEmpty(Parts p, string key) =>
        p.Get(key) is { Length: 0 } ? throw Error(p.Spec, $"{key}= needs a file") : p.Get(key);

    private static string Known => string.Join(", ", DataSpec.Syntax);

    private static LowBitException Error(string spec, string why) => new(ErrorKind.Usage, $"data spec '{spec}': {why}");

    private static DataSpec FashionMnist(Parts p)
    {
        var split = p.Variant switch
        {
            null or "train" => FashionMnistSplit.Train,
            "test" => FashionMnistSplit.Test,
            "test1k" => FashionMnistSplit.Test1k,
            _ => throw Error(p.Spec, $"unknown fashion-mnist split '{p.Variant}'; known: train, test, test1k"),
        };
        if (p.Value is { Length: 0 }) throw Error(p.Spec, "empty folder after '='");
        return p.Done(new FashionMnistSpec(split, p.Value));
    }

    private static DataSpec Random(Parts p)
    {
        if (p.Value is not null) throw Error(p.Spec, "random takes no '=VALUE'; write random:N");
        int count = RandomDataset.DefaultCount;
        if (p.Variant is not null && (!int.TryParse(p.Variant, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
            throw Error(p.Spec, $"random:{p.Variant}: N must be a positive integer");
        return p.Done(new RandomSpec(count, p.ULong("seed") ?? 0));
    }

    private static ImageOptions ImageOptions(Parts p)
    {
        var preset = p.Get("preset") is string name ? ImagePresets.Parse(name) : ImagePreset.Unit;
        var crop = p.Get("crop") switch
        {
            null or "center" => ImageCrop.Center,
            "none" => ImageCrop.None,
            var c => throw Error(p.Spec, $"crop={c}: known: center, none"),
        };
        var (height, width) = ImageSize(p);
        bool keepAspect = p.Get("keep-aspect") switch
        {
            null => false,
            "" or "true" => true,
            var k => throw Error(p.Spec, $"keep-aspect={k}: write keep-aspect alone"),
        };
        if (keepAspect && p.Get("height") is null) throw Error(p.Spec, "keep-aspect needs height=H (e.g. height=48,keep-aspect)");
        if (!keepAspect && p.Get("height") is not null) throw Error(p.Spec, "height=H goes with keep-aspect; for a fixed shape write size=HxW");
        if (keepAspect && p.Get("size") is not null) throw Error(p.Spec, "give either size= or height=H,keep-aspect");
        try
        {
            return new ImageOptions(preset, height ?? 224, crop, p.Int("crops", 1) ?? 0, p.ULong("seed") ?? 0) { Width = width, KeepAspect = keepAspect };
        }
        catch (LowBitException e)
        {
            throw Error(p.Spec, e.Message);
        }
    }

    /// <summary>size=N (square) or size=HxW; height=H (with keep-aspect).</summary>
    private static (int? Height, int? Width) ImageSize(Parts p)
    {
        if (p.Get("height") is not null) return (p.Int("height", 1), null);
        if (p.Get("size") is not string s || !s.Contains('x')) return (p.Int("size", 1), null);
        var hw = s.Split('x');
        if (hw.Length != 2 || !int.TryParse(hw[0], NumberStyles.None, CultureInfo.InvariantCulture, out int h) || h < 1
            || !int.TryParse(hw[1], NumberStyles.None, CultureInfo.InvariantCulture, out int w) || w < 1)
            throw Error(p.Spec, $"size={s}: expected N or HxW with positive integers (e.g. size=48x320)");
        return (h, w);
    }

    private static TextOptions TextOptions(Parts p)
    {
        try
        {
            return new TextOptions(p.Int("seq", 1) ?? 128, p.Double("val") ?? 0.1);
        }
        catch (LowBitException e)
        {
            throw Error(p.Spec, e.Message);
        }
    }

    private sealed class Parts(string spec, string kind, string? variant, string? value, Dictionary<string, string> options)
    {
        public string Spec => spec;
        public string? Variant => variant;
        public string? Value => value;

        public Parts NoVariant() => variant is null ? this : throw Error(spec, $"{kind} takes no ':{variant}'");
        public Parts NoValue() => value is null ? this : throw Error(spec, $"{kind} takes no '={value}'");

        public string Path(string what) =>
            string.IsNullOrEmpty(value) ? throw Error(spec, $"{kind} needs a path: {kind}={what}") : value;

        public string? Get(string key)
        {
            return options.TryGetValue(key, out var v) ? v : null;
        }

        public int? Int(string key, int min) =>
            Get(key) is not string s ? null
            : int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min ? v
            : throw Error(spec, $"{key}={s}: expected an integer ≥ {min}");

        public ulong? ULong(string key) =>
            Get(key) is not string s ? null
            : ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v
            : throw Error(spec, $"{key}={s}: expected a non-negative integer");

        public double? Double(string key) =>
            Get(key) is not string s ? null
            : double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
            : throw Error(spec, $"{key}={s}: expected a number");

        /// <summary>Identity; chained after NoVariant()/NoValue() so shape errors are reported before option errors.</summary>
        public DataSpec Done(DataSpec result) => result;
    }
}
