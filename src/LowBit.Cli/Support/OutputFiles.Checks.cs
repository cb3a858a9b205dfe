namespace LowBit.Cli.Support;

/// <summary>
/// The output rules every command applies before it starts working (docs/cli.md, "Outputs"): a model output ends in
/// <c>.onnx</c>; no output is an input or another output of the same command; an existing model is replaced only with
/// <c>--force</c>; the folder of every output exists (or can be created) and is writable. Files themselves are written
/// atomically (<see cref="Onnx.AtomicFile"/>: temporary sibling, then rename), so a failed run never leaves half a file.
/// </summary>
internal static partial class OutputFiles
{
    private static StringComparison PathComparison => OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public static bool SamePath(string a, string b) => string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), PathComparison);

    /// <summary>A model output: <c>.onnx</c>, not an input, not a folder, in a writable folder that exists, and not an
    /// existing file unless <paramref name="force"/>.</summary>
    public static void CheckModel(string flag, string path, bool force, IEnumerable<string> inputs)
    {
        if (Directory.Exists(path))
            throw new LowBitException(ErrorKind.Usage, $"{flag} {path}: is a folder; give a file name such as model.onnx");
        if (!path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new LowBitException(ErrorKind.Usage, $"{flag} {path}: a model file must end in .onnx");
        CheckFile(flag, path, inputs);
        if (File.Exists(path) && !force)
            throw new LowBitException(ErrorKind.UnsafePath, $"{flag} {path}: the file exists; pass --force to replace it");
    }

    /// <summary>Any output file: not an input, not a folder, its folder exists and is writable.</summary>
    public static void CheckFile(string flag, string path, IEnumerable<string> inputs)
    {
        if (Directory.Exists(path))
            throw new LowBitException(ErrorKind.Usage, $"{flag} {path}: is a folder; give a file name");
        foreach (var input in inputs)
            if (SamePath(input, path))
                throw new LowBitException(ErrorKind.UnsafePath, $"{flag} {path}: is an input of this command ({input}); inputs are never overwritten");
        string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        if (File.Exists(dir))
            throw new LowBitException(ErrorKind.Usage, $"{flag} {path}: {dir} is a file, not a folder");
        if (!Directory.Exists(dir))
            throw new LowBitException(ErrorKind.FileNotFound, $"{flag} {path}: folder {dir} does not exist");
        Probe(flag, path, dir);
    }

    /// <summary>An output folder: not a file, and writable where it will be created (its nearest existing ancestor).</summary>
    public static void CheckFolder(string flag, string dir)
    {
        if (File.Exists(dir))
            throw new LowBitException(ErrorKind.Usage, $"{flag} {dir}: is a file; expected a folder");
        string? d = Path.GetFullPath(dir);
        while (d is not null && !Directory.Exists(d))
        {
            if (File.Exists(d)) throw new LowBitException(ErrorKind.Usage, $"{flag} {dir}: {d} is a file, not a folder");
            d = Path.GetDirectoryName(d);
        }
        Probe(flag, dir, d ?? ".");
    }

    /// <summary>No two outputs of one command share a path (each flag would destroy the other's file).</summary>
    public static void CheckDistinct(params (string Flag, string? Path)[] outputs)
    {
        for (int i = 0; i < outputs.Length; i++)
            for (int j = i + 1; j < outputs.Length; j++)
                if (outputs[i].Path is string a && outputs[j].Path is string b && SamePath(a, b))
                    throw new LowBitException(ErrorKind.Usage, $"{outputs[j].Flag} {b}: is also the {outputs[i].Flag} file; give each output its own path");
    }

    /// <summary>Deletes files this run wrote (cancel or failure after writing); best effort, the original error matters more.</summary>
    public static void Remove(params string[] paths)
    {
        foreach (var p in paths)
        {
            try { if (File.Exists(p)) File.Delete(p); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Creates and deletes a hidden file in <paramref name="dir"/>: the only reliable writability test (permissions,
    /// read-only mounts, /proc, ACLs all answer it the same way).</summary>
    private static void Probe(string flag, string path, string dir)
    {
        string probe = Path.Combine(dir, $".lowbit-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The exception names the probe file, which means nothing to the user: say only what kind of failure it was.
            string why = e is UnauthorizedAccessException ? "permission denied" : "not a writable folder";
            throw new LowBitException(ErrorKind.Usage, $"{flag} {path}: cannot write in {dir} ({why})");
        }
    }
}
