namespace LowBit.Tests;

/// <summary>Paths of real third-party models fetched by NuGet PackageDownload at restore (DESIGN.md §6).</summary>
public static class RealModels
{
    private static string PackageRoot { get; } =
        typeof(RealModels).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string ResNetDir => Path.Combine(PackageRoot, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels");

    /// <summary>CNTK-made ResNet18 (IR 3, opset 8), input Input247 [1,3,224,224], 512-d pooled features.</summary>
    public static string ResNet18 => Path.Combine(ResNetDir, "ResNet18Onnx", "ResNet18.onnx");
    public static string ResNetPreprocess => Path.Combine(ResNetDir, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
}
