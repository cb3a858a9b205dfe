using System.Diagnostics;

namespace LowBit.Cli.Tests;

/// <summary>The built program with stderr redirected (a log file, CI): long phases print plain progress lines there
/// without --verbose, and --json keeps stdout to exactly one JSON object.</summary>
public class ProgressLinesTests
{
    [Fact]
    public async Task ChildProcess_RedirectedQuantize_PrintsPlainProgressLinesOnStderr()
    {
        using var h = new CliHarness();
        var model = h.Save(Commands.QuantModelsFixture.TinyMatMul(), "m.onnx");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { typeof(CliApp).Assembly.Location, "quantize", model, "--out", h.PathOf("q.onnx"), "--calib-data", "random:64",
                     "--calib-samples", "64", "--threads", "1", "--json" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, stderr);
        Assert.Contains("lowbit: calibrating 64/64", stderr.Split('\n').Select(l => l.TrimEnd('\r')));
        using var doc = System.Text.Json.JsonDocument.Parse(await stdout);
        Assert.Equal("quantize", doc.RootElement.GetProperty("command").GetString());
    }
}
