namespace LowBit.Cli.Support;

/// <summary>
/// The folders one run creates, so that a failed or cancelled run removes what it made and nothing that was there
/// before: <see cref="Create"/> remembers the topmost folder that did not exist yet, <see cref="RemoveAll"/> deletes
/// those folders, newest first. Files written into folders that already existed are left alone.
/// </summary>
internal sealed class NewFolders
{
    private readonly List<string> created = [];

    /// <summary>Creates <paramref name="path"/> and its missing parents; returns <paramref name="path"/>.</summary>
    public string Create(string path)
    {
        string? top = null;
        for (string? d = Path.GetFullPath(path); d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d)) top = d;
        Directory.CreateDirectory(path);
        if (top is not null) created.Add(top);
        return path;
    }

    /// <summary>Best effort: a folder that cannot be deleted is left (the original error matters more).</summary>
    public void RemoveAll()
    {
        for (int i = created.Count - 1; i >= 0; i--)
        {
            try { if (Directory.Exists(created[i])) Directory.Delete(created[i], recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        created.Clear();
    }
}
