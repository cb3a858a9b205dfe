using System.Globalization;
using LowBit.Graph;

namespace LowBit.Cli.Support;

/// <summary>Text forms shared by the commands' human output and JSON.</summary>
internal static class Format
{
    /// <summary>Declared dims for JSON: a number for a known dim, the name for a symbolic one, null when unknown.</summary>
    public static object?[]? Dims(Dim[]? shape) => shape?.Select(d => d.Value is long v ? v : (object?)d.Param).ToArray();

    public static string Shape(int[] shape) => "[" + string.Join(",", shape) + "]";

    public static string Number(double? v) => v switch
    {
        null => "-",
        double d when double.IsNaN(d) || double.IsInfinity(d) => d.ToString(CultureInfo.InvariantCulture),
        double d when d != 0 && (Math.Abs(d) >= 1e6 || Math.Abs(d) < 1e-3) => d.ToString("0.####e+0", CultureInfo.InvariantCulture),
        double d => d.ToString("0.######", CultureInfo.InvariantCulture),
    };

    public static string Value(object v) => v switch
    {
        double d => Number(d),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    public static string Bytes(long b) => b switch
    {
        >= 1L << 30 => $"{b / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{b / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{b / 1024.0:0.0} KiB",
        _ => $"{b} B",
    };

    public static string Ms(double ms) => ms.ToString(ms >= 100 ? "0.0" : ms >= 1 ? "0.00" : "0.000", CultureInfo.InvariantCulture);

    /// <summary>A path as JSON results give it: absolute, full (null stays null).</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(path))]
    public static string? FullPath(string? path) => path is null ? null : System.IO.Path.GetFullPath(path);

    /// <summary>A full path as human output shows it: relative to the current folder when inside it, else as is.</summary>
    public static string Shown(string path)
    {
        string cwd = Directory.GetCurrentDirectory();
        string rel = System.IO.Path.GetRelativePath(cwd, path);
        bool outside = rel == ".." || rel.StartsWith(".." + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal) || System.IO.Path.IsPathRooted(rel);
        return outside ? path : rel;
    }

    /// <summary>"Name" when in the default domain, else "domain.Name".</summary>
    public static string OpName(string domain, string opType) => domain.Length > 0 ? $"{domain}.{opType}" : opType;
}
