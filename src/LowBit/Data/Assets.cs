namespace LowBit.Data;

/// <summary>Finds the repository's <c>assets/NAME</c> folders (shipped as content next to the CLI, or in a checkout).</summary>
public static class Assets
{
    /// <summary>
    /// Looks for <c>assets/<paramref name="name"/></c> in the running assembly's folder, then in every folder above it,
    /// then in the current directory and every folder above it. Returns null when none exists.
    /// </summary>
    public static string? Find(string name)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, typeof(Assets).Assembly.Location, Directory.GetCurrentDirectory() })
        {
            if (string.IsNullOrEmpty(start)) continue;
            for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "assets", name);
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
