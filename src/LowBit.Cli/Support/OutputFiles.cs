using System.Text;
using LowBit.Data;
using LowBit.Tensors;

namespace LowBit.Cli.Support;

/// <summary>Writes outputs as <c>&lt;DIR&gt;/&lt;sanitised name&gt;.npy</c>, each atomically (temporary file, then rename).</summary>
internal static partial class OutputFiles
{
    /// <summary>Plans one file per output: names keep [A-Za-z0-9._-] (others become '_', a leading '.' too), are at most
    /// 120 characters, and get "_2", "_3"... when two outputs would collide (compared case-insensitively).</summary>
    public static Dictionary<string, string> Plan(string dir, IEnumerable<string> outputNames, IEnumerable<string> protectedFiles)
    {
        CheckFolder("--output", dir);
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var plan = new Dictionary<string, string>();
        var guarded = protectedFiles.Select(Path.GetFullPath).ToHashSet();
        foreach (var name in outputNames)
        {
            string stem = Sanitise(name), candidate = stem;
            for (int k = 2; !taken.Add(candidate); k++) candidate = $"{stem}_{k}";
            string path = Path.Combine(dir, candidate + ".npy");
            if (guarded.Contains(Path.GetFullPath(path)))
                throw new LowBitException(ErrorKind.UnsafePath, $"--output {dir}: writing output '{name}' would overwrite the input file {path}");
            plan[name] = path;
        }
        return plan;
    }

    public static string Sanitise(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (char c in name) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_');
        if (sb.Length > 0 && sb[0] == '.') sb[0] = '_';
        string s = sb.Length > 120 ? sb.ToString(0, 120) : sb.ToString();
        return s.Length == 0 ? "output" : s;
    }

    /// <summary>Writes one tensor; types NumPy lacks (bfloat16, float8, 4-bit) are widened to float32 first.</summary>
    public static void Write(string path, Tensor t, CliContext ctx)
    {
        if (t.DType == DType.String)
        {
            ctx.Warn($"{path}: string outputs cannot be stored in .npy; skipped");
            return;
        }
        if (!Npy.Supports(t.DType))
        {
            ctx.Warn($"{path}: {t.DType.Name()} has no NumPy dtype; written as float32");
            t = t.ToFloat32();
        }
        try
        {
            Npy.Write(path, t);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LowBitException(ErrorKind.FileNotFound, $"{path}: cannot write ({e.Message})");
        }
    }
}
