using System.Reflection;

namespace LowBit;

/// <summary>The one version string LowBit writes everywhere: <c>lowbit --version</c>, report headers, manifests. It is
/// the informational version of this assembly ("0.1.0+&lt;commit&gt;"; the number is set once, in Directory.Build.props).</summary>
internal static class LowBitVersion
{
    public static string Informational { get; } = typeof(LowBitVersion).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>"LowBit 0.1.0+&lt;commit&gt;".</summary>
    public static string Tool => "LowBit " + Informational;
}
