using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LowBit.Onnx;

namespace LowBit.Quantization.Calibration;

/// <summary>
/// Calibration results on disk (JSON, format "lowbit-calibration/1"): the chosen range, value count and warnings per
/// scale group. The key hashes the model, the data key, the sample limit and every group's members and observer
/// settings, so any change that would change a range misses; a stale or unreadable file is a miss and is replaced.
/// </summary>
internal static class CalibrationCache
{
    public const string Format = "lowbit-calibration/1";

    public static string Key(string modelHash, CalibrationOptions options, IEnumerable<(string Root, IReadOnlyList<string> Members, ActivationQuantConfig Config)> groups)
    {
        var sb = new StringBuilder();
        sb.Append(Format).Append('\n').Append(modelHash).Append('\n').Append(options.DataKey).Append('\n').Append(options.MaxSamples).Append('\n');
        if (options.Streams.Count > 0)
            sb.Append("streams ").Append(string.Join(";", options.Streams.Select(b => b + (b.Initial is null ? "" : "(initial given)")))).Append('\n');
        foreach (var (root, members, cfg) in groups)
            sb.Append(root).Append('=').Append(string.Join(",", members)).Append(" : ").Append(cfg).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>The cached result when the file exists, has this key and covers every group; else null.</summary>
    public static CalibrationResult? TryLoad(string path, string key, IEnumerable<string> roots)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var r = doc.RootElement;
            if (r.GetProperty("format").GetString() != Format || r.GetProperty("key").GetString() != key) return null;
            var ranges = new Dictionary<string, TensorRange>(StringComparer.Ordinal);
            foreach (var p in r.GetProperty("ranges").EnumerateObject())
            {
                var e = p.Value;
                ranges[p.Name] = new TensorRange(e.GetProperty("min").GetSingle(), e.GetProperty("max").GetSingle(), e.GetProperty("count").GetInt64(),
                    e.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList());
            }
            if (!roots.All(ranges.ContainsKey)) return null;
            var warnings = r.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
            return new CalibrationResult(ranges, r.GetProperty("samples").GetInt32(), warnings, "hit");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException)
        {
            return null;
        }
    }

    public static void Save(string path, string key, string modelHash, CalibrationOptions options, CalibrationResult result)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("key", key);
            w.WriteString("model", modelHash);
            w.WriteString("data", options.DataKey);
            w.WriteNumber("samples", result.Samples);
            w.WriteStartArray("warnings");
            foreach (var s in result.Warnings) w.WriteStringValue(s);
            w.WriteEndArray();
            w.WriteStartObject("ranges");
            foreach (var (root, t) in result.Ranges)
            {
                w.WriteStartObject(root);
                w.WriteNumber("min", t.Min);
                w.WriteNumber("max", t.Max);
                w.WriteNumber("count", t.Count);
                w.WriteStartArray("warnings");
                foreach (var s in t.Warnings) w.WriteStringValue(s);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, ms.ToArray());
    }
}
