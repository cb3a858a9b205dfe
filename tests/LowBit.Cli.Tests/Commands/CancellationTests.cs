using System.Diagnostics;
using LowBit.Nn.Zoo;

namespace LowBit.Cli.Tests.Commands;

/// <summary>Ctrl-C (the same token Program.Main cancels on SIGINT) reaches the long loops of quantize's report and of
/// compare within about a second (asserted with slack: under 3 s on a loaded 2-core machine; each check is per node),
/// and a cancelled command leaves none of its outputs behind.</summary>
public class CancellationTests : IDisposable
{
    private readonly CliHarness h = new();
    public void Dispose() => h.Dispose();

    /// <summary>stderr that cancels once a line containing <paramref name="trigger"/> is written (a progress line of the
    /// phase under test), so the cancel lands inside that phase whatever the machine's speed.</summary>
    private sealed class CancelOn(string trigger, CancellationTokenSource cts) : StringWriter
    {
        public Stopwatch? Since { get; private set; }

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (Since is null && value is not null && value.Contains(trigger, StringComparison.Ordinal))
            {
                Since = Stopwatch.StartNew();
                cts.Cancel();
            }
        }
    }

    private static (int Code, string Err, TimeSpan? Latency) RunUntil(string trigger, params string[] args)
    {
        using var cts = new CancellationTokenSource();
        var err = new CancelOn(trigger, cts);
        int code = CliApp.Run([.. args, "--verbose"], new StringWriter(), err, cts.Token);
        return (code, err.ToString(), err.Since?.Elapsed);
    }

    [Fact]
    public void Quantize_CancelledDuringReport_RemovesModelManifestAndReport()
    {
        var model = h.Save(ModelZoo.Build("fashion-cnn"), "f.onnx");
        string q = h.PathOf("q.onnx"), report = h.PathOf("rep");
        var (code, err, latency) = RunUntil("comparing layers", "quantize", model, "--out", q, "--calib-data", "fashion-mnist-1k",
            "--calib-samples", "8", "--eval-samples", "8", "--compare-samples", "256", "--bench-seconds", "30", "--report", report, "--threads", "1");
        Assert.True(code == 130, err);
        Assert.Contains("error: cancelled", err);
        Assert.NotNull(latency);
        Assert.True(latency < TimeSpan.FromSeconds(3), $"stopped {latency} after Ctrl-C");
        Assert.False(File.Exists(q));
        Assert.False(File.Exists(h.PathOf("q.lowbit.json")));
        Assert.False(Directory.Exists(report));
    }

    [Fact]
    public void Compare_Cancelled_StopsWithinAboutASecondWritingNoReport()
    {
        var model = h.Save(ModelZoo.Build("fashion-cnn"), "f.onnx");
        string q = h.PathOf("q.onnx");
        Assert.Equal(0, CliHarness.Run("quantize", model, "--out", q, "--calib-data", "fashion-mnist-1k", "--calib-samples", "8", "--threads", "1").Code);
        string report = h.PathOf("cmp");
        var (code, err, latency) = RunUntil("comparing layers", "compare", model, q, "--data", "fashion-mnist-1k", "--samples", "1000",
            "--batch", "8", "--report", report, "--threads", "1");
        Assert.True(code == 130, err);
        Assert.NotNull(latency);
        Assert.True(latency < TimeSpan.FromSeconds(3), $"stopped {latency} after Ctrl-C");
        Assert.False(Directory.Exists(report));
    }
}
