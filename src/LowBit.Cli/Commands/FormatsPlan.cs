using System.Globalization;
using LowBit.Formats;
using LowBit.Quantization;

namespace LowBit.Cli.Commands;

/// <summary>
/// Which rows <c>lowbit formats</c> measures, from its flags: the formats (<c>--formats</c>, else every weight format
/// <c>lowbit quantize</c> can store, widest first), narrowed by <c>--bits</c>, each weight-only at one granularity; with
/// <c>--calib-data</c>, each 8-bit integer format a second time as static W8A8. Bad values are usage errors naming the flag.
/// </summary>
internal static class FormatsPlan
{
    public const string DefaultGranularity = "group:32";

    public static IReadOnlyList<string> Storable { get; } = WeightQuantConfig.StorableFormats().ToList();

    /// <summary>Width class of a format for <c>--bits</c>: ⌈bits per code⌉ (ternary's log2 3 ≈ 1.58 → 2).</summary>
    public static int Width(INumberFormat f) => (int)Math.Ceiling(f.BitsPerWeight - 1e-9);

    public static WeightGranularity ParseGranularity(string? text)
    {
        try { return WeightGranularity.Parse(text ?? DefaultGranularity); }
        catch (LowBitException e) { throw new LowBitException(e.Kind, $"--granularity {text}: {e.Message}", e); }
    }

    public static IReadOnlyList<FormatJob> Jobs(string? formats, string? bits, WeightGranularity granularity, bool withStatic)
    {
        var chosen = formats is null
            ? Storable.Select(FormatTable.Get).OrderByDescending(Width).ToList()
            : Split(formats).Select(n => FormatTable.TryGet(n, out var f) && Storable.Contains(f.Name) ? f
                : throw new LowBitException(ErrorKind.Usage, $"--formats {formats}: unknown weight format '{n}'; known: {string.Join(", ", Storable)}"))
                .DistinctBy(f => f.Name).ToList();
        if (chosen.Count == 0) throw new LowBitException(ErrorKind.Usage, "--formats: no format given");
        if (bits is not null)
        {
            var widths = Split(bits).Select(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v is > 0 and <= 32 ? v
                : throw new LowBitException(ErrorKind.Usage, $"--bits {bits}: '{b}' is not a width in 1..32")).ToHashSet();
            if (widths.Count == 0) throw new LowBitException(ErrorKind.Usage, "--bits: no width given");
            chosen = chosen.Where(f => widths.Contains(Width(f))).ToList();
            if (chosen.Count == 0)
                throw new LowBitException(ErrorKind.Usage, $"--bits {bits}: no {(formats is null ? "storable" : "given")} format has that width; widths: " +
                    string.Join(", ", (formats is null ? Storable.Select(FormatTable.Get) : Split(formats).Select(FormatTable.Get)).Select(Width).Distinct().Order()));
        }
        var jobs = new List<FormatJob>();
        foreach (var f in chosen)
        {
            jobs.Add(new FormatJob(f, granularity, Static: false));
            if (withStatic && f is IntFormat { Bits: 8 }) jobs.Add(new FormatJob(f, new WeightGranularity.PerChannel(), Static: true));
        }
        return jobs;
    }

    /// <summary>--keep must be a folder that does not exist yet or is empty, so no file of the user's is replaced.</summary>
    public static void CheckKeep(string dir)
    {
        Support.OutputFiles.CheckFolder("--keep", dir);
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new LowBitException(ErrorKind.UnsafePath, $"--keep {dir}: the folder is not empty; give a new or empty folder");
    }

    /// <summary>The weight-only granularity of the rows (static rows are per-channel, as ONNX Runtime's integer kernels want).</summary>
    public static string Describe(IReadOnlyList<FormatJob> jobs) => jobs.FirstOrDefault(j => !j.Static)?.Granularity.ToString() ?? "per-channel";

    private static string[] Split(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
