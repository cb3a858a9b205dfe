using System.Text;
using System.Text.Json;
using LowBit.Formats;
using LowBit.Quantization.Observers;

namespace LowBit.Quantization;

/// <summary>
/// Recipe JSON:
/// <code>
/// {
///   "exclude": { "nodes": ["head"], "opTypes": ["Softmax"] },
///   "nodes": {
///     "stem.conv": "float",
///     "blocks.0.fc1": { "weights": { "format": "int4", "granularity": "group:32", "scheme": "symmetric", "range": "mse" },
///                       "activations": { "format": "uint8", "scheme": "asymmetric", "observer": "percentile:99.99" } }
///   }
/// }
/// </code>
/// Every key is checked: an unknown one is an error naming where it is and the keys allowed there. Omitted weight or
/// activation fields take the defaults of <see cref="WeightQuantConfig"/> / <see cref="ActivationQuantConfig"/>.
/// </summary>
public sealed partial record QuantRecipe
{
    private static readonly string[] TopKeys = ["exclude", "nodes"];
    private static readonly string[] ExcludeKeys = ["nodes", "opTypes"];
    private static readonly string[] NodeKeys = ["float", "weights", "activations"];
    private static readonly string[] WeightKeys = ["format", "granularity", "scheme", "range", "scaleFormat"];
    private static readonly string[] ActivationKeys = ["format", "scheme", "observer"];

    /// <summary>Reads a recipe file; errors name the file.</summary>
    public static QuantRecipe Load(string path)
    {
        if (!File.Exists(path)) throw new LowBitException(ErrorKind.FileNotFound, $"recipe file '{path}' does not exist");
        return Parse(File.ReadAllText(path), path);
    }

    public static QuantRecipe Parse(string json, string source = "recipe")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new LowBitException(ErrorKind.Usage, $"{source}: not valid JSON (line {e.LineNumber + 1}): {e.Message.Split(" Path:")[0]}");
        }
        using (doc)
        {
            try
            {
                return FromJson(doc.RootElement);
            }
            catch (LowBitException e)
            {
                throw new LowBitException(ErrorKind.Usage, $"{source}: {e.Message}");
            }
        }
    }

    private static QuantRecipe FromJson(JsonElement root)
    {
        Expect(root, JsonValueKind.Object, "the recipe");
        CheckKeys(root, TopKeys, "the recipe");
        var exNodes = new List<string>();
        var exOps = new List<string>();
        if (root.TryGetProperty("exclude", out var ex))
        {
            Expect(ex, JsonValueKind.Object, "\"exclude\"");
            CheckKeys(ex, ExcludeKeys, "\"exclude\"");
            if (ex.TryGetProperty("nodes", out var n)) exNodes.AddRange(Strings(n, "\"exclude.nodes\""));
            if (ex.TryGetProperty("opTypes", out var o)) exOps.AddRange(Strings(o, "\"exclude.opTypes\""));
        }
        var nodes = new Dictionary<string, NodeOverride>(StringComparer.Ordinal);
        if (root.TryGetProperty("nodes", out var ns))
        {
            Expect(ns, JsonValueKind.Object, "\"nodes\"");
            foreach (var p in ns.EnumerateObject()) nodes[p.Name] = NodeFromJson(p.Value, $"node '{p.Name}'");
        }
        return new QuantRecipe(nodes, exNodes, exOps);
    }

    private static NodeOverride NodeFromJson(JsonElement e, string where)
    {
        if (e.ValueKind == JsonValueKind.String)
            return e.GetString() == "float" ? NodeOverride.Float
                : throw Error($"{where}: the only string value is \"float\", got \"{e.GetString()}\"");
        Expect(e, JsonValueKind.Object, where);
        CheckKeys(e, NodeKeys, where);
        bool keepFloat = e.TryGetProperty("float", out var f) && (f.ValueKind == JsonValueKind.True ? true
            : f.ValueKind == JsonValueKind.False ? false : throw Error($"{where}: \"float\" must be true or false"));
        var w = e.TryGetProperty("weights", out var we) ? WeightsFromJson(we, $"{where} weights") : null;
        var a = e.TryGetProperty("activations", out var ae) ? ActivationsFromJson(ae, $"{where} activations") : null;
        try
        {
            return new NodeOverride(keepFloat, w, a);
        }
        catch (LowBitException x)
        {
            throw Error($"{where}: {x.Message}");
        }
    }

    internal static WeightQuantConfig WeightsFromJson(JsonElement e, string where)
    {
        Expect(e, JsonValueKind.Object, where);
        CheckKeys(e, WeightKeys, where);
        try
        {
            return new WeightQuantConfig(
                Str(e, "format") is string f ? FormatTable.Get(f) : null,
                Str(e, "granularity") is string g ? WeightGranularity.Parse(g) : null,
                Str(e, "scheme") is string s ? ConfigNames.ParseScheme(s) : QuantScheme.Symmetric,
                Str(e, "range") is string r ? ConfigNames.ParseWeightRange(r) : WeightRange.MinMax,
                Str(e, "scaleFormat") is string sf ? ConfigNames.ParseScaleFormat(sf) : ScaleFormat.Float32);
        }
        catch (LowBitException x)
        {
            throw Error($"{where}: {x.Message}");
        }
    }

    internal static ActivationQuantConfig ActivationsFromJson(JsonElement e, string where)
    {
        Expect(e, JsonValueKind.Object, where);
        CheckKeys(e, ActivationKeys, where);
        try
        {
            return new ActivationQuantConfig(
                Str(e, "format") is string f ? FormatTable.Get(f) : null,
                Str(e, "scheme") is string s ? ConfigNames.ParseScheme(s) : null,
                Str(e, "observer") is string o ? ObserverConfig.Parse(o) : null);
        }
        catch (LowBitException x)
        {
            throw Error($"{where}: {x.Message}");
        }
    }

    /// <summary>The recipe in the format <see cref="Parse"/> reads.</summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
            WriteTo(w);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    internal void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("exclude");
        w.WriteStartArray("nodes");
        foreach (var n in ExcludeNodes) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteStartArray("opTypes");
        foreach (var n in ExcludeOpTypes) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("nodes");
        foreach (var (name, o) in Nodes)
        {
            if (o.KeepFloat) { w.WriteString(name, "float"); continue; }
            w.WriteStartObject(name);
            if (o.Weights is { } wc) { w.WritePropertyName("weights"); WriteWeights(w, wc); }
            if (o.Activations is { } ac) { w.WritePropertyName("activations"); WriteActivations(w, ac); }
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    internal static void WriteWeights(Utf8JsonWriter w, WeightQuantConfig c)
    {
        w.WriteStartObject();
        w.WriteString("format", c.Format.Name);
        w.WriteString("granularity", c.Granularity.ToString());
        w.WriteString("scheme", ConfigNames.Name(c.Scheme));
        w.WriteString("range", ConfigNames.Name(c.Range));
        if (c.ScaleFormat != ScaleFormat.Float32) w.WriteString("scaleFormat", ConfigNames.Name(c.ScaleFormat));
        w.WriteEndObject();
    }

    internal static void WriteActivations(Utf8JsonWriter w, ActivationQuantConfig c)
    {
        w.WriteStartObject();
        w.WriteString("format", c.Format.Name);
        w.WriteString("scheme", ConfigNames.Name(c.Scheme));
        w.WriteString("observer", c.Observer.ToString());
        w.WriteEndObject();
    }

    private static string? Str(JsonElement e, string key)
    {
        if (!e.TryGetProperty(key, out var v)) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Error($"\"{key}\" must be a string");
    }

    private static IEnumerable<string> Strings(JsonElement e, string where)
    {
        Expect(e, JsonValueKind.Array, where);
        foreach (var s in e.EnumerateArray())
            yield return s.ValueKind == JsonValueKind.String ? s.GetString()! : throw Error($"{where} must list strings");
    }

    private static void Expect(JsonElement e, JsonValueKind kind, string where)
    {
        if (e.ValueKind != kind) throw Error($"{where} must be a JSON {kind.ToString().ToLowerInvariant()}, got {e.ValueKind.ToString().ToLowerInvariant()}");
    }

    private static void CheckKeys(JsonElement e, string[] allowed, string where)
    {
        foreach (var p in e.EnumerateObject())
            if (!allowed.Contains(p.Name))
                throw Error($"unknown key \"{p.Name}\" in {where}; allowed keys: {string.Join(", ", allowed)}");
    }

    private static LowBitException Error(string message) => new(ErrorKind.Usage, message);
}
