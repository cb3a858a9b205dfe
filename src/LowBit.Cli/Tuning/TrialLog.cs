using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LowBit.Cli.Tuning;

/// <summary>One finished trial, one line of the log. <see cref="Context"/> fingerprints what the result depends on besides
/// the config (model bytes, formats, data, sample counts): lines of another context are not reused. <see cref="Top1"/> is
/// null when the trial failed (<see cref="Error"/> says why); strategies then count it as 0.</summary>
internal sealed record TrialRecord(string Key, string Context, double? Top1, long? Bytes, double Seconds, string? Error = null)
{
    [JsonIgnore] public double Score => Top1 ?? 0;
}

/// <summary>
/// The JSON-lines trial log: one <see cref="TrialRecord"/> per line, appended and flushed to disk as each trial ends, so
/// Ctrl-C loses at most the running trial. Reading skips lines that do not parse (the half-written last line of a killed
/// run) and keeps the first line of each key, so the logs of array jobs can simply be concatenated.
/// </summary>
internal sealed class TrialLog
{
    private static readonly JsonSerializerOptions Options = new(CliContext.JsonOptions) { WriteIndented = false };

    private readonly string path;
    private readonly string context;
    private readonly Dictionary<string, TrialRecord> records = new(StringComparer.Ordinal);

    public string Path => path;
    public int Unreadable { get; }
    public int OtherContext { get; }
    public IReadOnlyDictionary<string, TrialRecord> Records => records;

    public TrialLog(string path, string context)
    {
        this.path = path;
        this.context = context;
        if (!File.Exists(path)) return;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            TrialRecord? r;
            try
            {
                r = JsonSerializer.Deserialize<TrialRecord>(line, Options);
            }
            catch (JsonException)
            {
                r = null;
            }
            if (r?.Key is null || r.Context is null) Unreadable++;
            else if (r.Context != context) OtherContext++;
            else records.TryAdd(r.Key, r);
        }
    }

    public TrialRecord? Find(string key) => records.GetValueOrDefault(key);

    /// <summary>Appends <paramref name="r"/> as one line and flushes it to disk. A log that ends inside a line (a killed
    /// writer) gets a newline first, so the new line stays whole.</summary>
    public void Append(TrialRecord r)
    {
        if (r.Context != context) throw new ArgumentException("record of another context", nameof(r));
        records.TryAdd(r.Key, r);
        using var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        bool newline = false;
        if (fs.Length > 0)
        {
            fs.Seek(-1, SeekOrigin.End);
            newline = fs.ReadByte() != '\n';
        }
        fs.Seek(0, SeekOrigin.End);
        var bytes = Encoding.UTF8.GetBytes((newline ? "\n" : "") + JsonSerializer.Serialize(r, Options) + "\n");
        fs.Write(bytes);
        fs.Flush(flushToDisk: true);
    }
}
