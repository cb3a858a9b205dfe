using System.Diagnostics;
using System.Runtime.Intrinsics.X86;

namespace LowBit.Kernels.Tests;

/// <summary>
/// Re-runs this assembly's kernel tests in a child process with <c>DOTNET_EnableAVX2=0</c>, so the runtime reports no
/// AVX2/FMA/AVX-512, the KernelTable falls back to the reference rows, and the scalar paths (and Vector128 code in
/// System.Numerics.Tensors) are exercised on a machine that has AVX2.
/// </summary>
public class ScalarPathTests
{
    private const string ChildVariable = "LOWBIT_SCALAR_CHILD";

    [Fact]
    public async Task KernelTests_WithAvx2Disabled_PassInChildProcess()
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) == "1" || !Avx2.IsSupported) return;
        string dll = typeof(ScalarPathTests).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "test", dll, "--filter", $"FullyQualifiedName!~{nameof(ScalarPathTests)}" }) psi.ArgumentList.Add(arg);
        psi.Environment["DOTNET_EnableAVX2"] = "0";
        psi.Environment[ChildVariable] = "1";
        psi.Environment.Remove(KernelTable.ForceVariable);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await p.WaitForExitAsync(timeout.Token);
        string output = await stdout + await stderr;
        Assert.True(p.ExitCode == 0, $"kernel tests failed with AVX2 disabled:\n{output}");
        Assert.Contains("Passed!", output);
    }

    [Fact]
    public void Child_WithAvx2Disabled_SelectsReference()
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) != "1") return;
        Assert.False(Avx2.IsSupported);
        Assert.Equal("reference", LowBit.Kernels.Gemm.GemmF32.Kernel.Name);
    }
}
