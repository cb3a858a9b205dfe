using System.Reflection;

namespace LowBit.Tests.Data;

/// <summary>A fact skipped, with the install command in the reason, when a file or folder is absent.</summary>
public sealed class RequiresPathFactAttribute : FactAttribute
{
    public RequiresPathFactAttribute(string path, string install)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) Skip = $"{path} is missing; {install}";
    }
}

/// <summary>A fact skipped unless NuGet restored ML.NET's ResNet18 package (it always is when the tests build).</summary>
public sealed class RequiresResNetPackageFactAttribute : FactAttribute
{
    public RequiresResNetPackageFactAttribute()
    {
        if (!File.Exists(RealModels.ResNetPreprocess)) Skip = $"{RealModels.ResNetPreprocess} is missing; run dotnet restore";
    }
}

/// <summary>A fresh folder under the temp directory, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lowbit-data-" + Guid.NewGuid().ToString("N")[..12]);

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Dir(string name)
    {
        var d = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(d);
        return d;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

public static class RepoPaths
{
    public static string Root { get; } = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!;

    public static string Asset(string name) => System.IO.Path.Combine(Root, "assets", name);
}
