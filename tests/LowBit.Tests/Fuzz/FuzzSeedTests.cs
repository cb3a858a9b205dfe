using System.Reflection;
using System.Text;
using LowBit.Data;
using LowBit.Onnx;
using LowBit.Quantization;

namespace LowBit.Tests.Fuzz;

/// <summary>
/// Replays the minimised fuzzing corpus (fuzz/LowBit.Fuzz, docs/fuzzing.md): every seed in Fuzz/TARGET/ went through
/// millions of mutations; each must still parse or be refused with a <see cref="LowBitException"/>, the one documented
/// error type, within a few seconds. Crashes found by fuzzing are kept here as named seeds (crash-*).
/// </summary>
public class FuzzSeedTests
{
    private static readonly string SeedRoot = Path.Combine(RepoRoot(), "tests", "LowBit.Tests", "Fuzz");

    /// <summary>The parser behind each target, fed exactly as the fuzzer feeds it.</summary>
    private static readonly Dictionary<string, Action<string>> Parsers = new()
    {
        ["onnx"] = f => OnnxImporter.Load(File.ReadAllBytes(f), baseDir: null, Path.GetFileName(f)),
        ["npy"] = f => Npy.Read(new MemoryStream(File.ReadAllBytes(f)), Path.GetFileName(f)),
        ["npz"] = f => Npz.Read(new MemoryStream(File.ReadAllBytes(f)), Path.GetFileName(f)),
        ["idx"] = f => Idx.Read(f),
        ["dataspec"] = f => DataSpec.Parse(Encoding.UTF8.GetString(File.ReadAllBytes(f))),
        ["recipe"] = f => QuantRecipe.Parse(Encoding.UTF8.GetString(File.ReadAllBytes(f)), Path.GetFileName(f)),
    };

    public static TheoryData<string> Targets() => new(Parsers.Keys);

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Seeds_EveryFile_ParsesOrThrowsLowBitException(string target)
    {
        var files = Directory.GetFiles(Path.Combine(SeedRoot, target)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(files.Length >= 5, $"{target}: only {files.Length} seeds");
        var failures = new List<string>();
        foreach (var file in files)
        {
            var run = Task.Run(() => Parsers[target](file));
            if (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10))) != run)
            {
                failures.Add($"{Path.GetFileName(file)}: still running after 10 s");
                continue;
            }
            if (run.Exception?.InnerException is not { } error) continue;
            if (error is not LowBitException) failures.Add($"{Path.GetFileName(file)}: {error.GetType().Name}: {error.Message}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Seeds_TotalSize_StaysSmall()
    {
        long bytes = Directory.GetFiles(SeedRoot, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".cs", StringComparison.Ordinal))
            .Sum(f => new FileInfo(f).Length);
        Assert.InRange(bytes, 1, 200_000);
    }

    [Fact]
    public void Load_ConstantWhoseValueIsNotATensor_ThrowsInvalidModel()
    {
        // Found by fuzzing: a Constant node whose 'value' attribute holds a float was cast to Tensor (InvalidCastException).
        string file = Path.Combine(SeedRoot, "onnx", "crash-constant-value-not-tensor.onnx");
        var e = Assert.Throws<LowBitException>(() => OnnxImporter.Load(File.ReadAllBytes(file), null, "m.onnx"));
        Assert.Equal(ErrorKind.InvalidModel, e.Kind);
        Assert.Contains("attribute 'value' must be a tensor", e.Message);
    }

    private static string RepoRoot() => typeof(FuzzSeedTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;
}
