using LowBit.Cli.Support;

namespace LowBit.Cli.Tests.Support;

public class ProgressDisplayTests
{
    private static (CliContext Ctx, StringWriter Err) Context(bool progressLines, bool verbose = false, CancellationToken token = default)
    {
        var err = new StringWriter();
        return (new CliContext(json: false, verbose, new StringWriter(), err, token) { ProgressLines = progressLines }, err);
    }

    private static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Run_RedirectedStderr_PrintsRateLimitedPlainLinesAndTheEnd()
    {
        var (ctx, err) = Context(progressLines: true);
        ProgressDisplay.Run(ctx, p =>
        {
            for (int i = 0; i <= 10_000; i++) p.Report("calibrating", i, 10_000);
        });
        var lines = Lines(err);
        // A tight loop takes far less than the 1 s interval: the first report with work done, then the end.
        Assert.InRange(lines.Length, 2, 3);
        Assert.Equal("lowbit: calibrating 1/10000", lines[0]);
        Assert.Equal("lowbit: calibrating 10000/10000", lines[^1]);
    }

    [Fact]
    public void Run_SlowPhase_PrintsAboutOneLinePerSecond()
    {
        var (ctx, err) = Context(progressLines: true);
        ProgressDisplay.Run(ctx, p =>
        {
            for (int i = 1; i <= 25; i++)
            {
                Thread.Sleep(100);
                p.Report("evaluating", i, null);
            }
        });
        // 2.5 s of work: the first line, then one per elapsed second (timing slack: 2..4 lines).
        Assert.InRange(Lines(err).Length, 2, 4);
    }

    [Fact]
    public void Run_TerminalOrQuietCapture_PrintsNothing()
    {
        var (ctx, err) = Context(progressLines: false);
        ProgressDisplay.Run(ctx, p => p.Report("calibrating", 5, 5));
        Assert.Equal("", err.ToString());
    }

    [Fact]
    public void Report_AfterCancellation_ThrowsInsideTheWork()
    {
        using var cts = new CancellationTokenSource();
        var (ctx, _) = Context(progressLines: false, token: cts.Token);
        int reached = 0;
        Assert.Throws<OperationCanceledException>(() => ProgressDisplay.Run(ctx, p =>
        {
            for (int i = 1; i <= 100; i++)
            {
                if (i == 10) cts.Cancel();
                p.Report("comparing layers", i, 100);
                reached = i;
            }
        }));
        Assert.Equal(9, reached);
    }
}
