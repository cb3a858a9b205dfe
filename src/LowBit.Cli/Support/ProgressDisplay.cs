using System.Diagnostics;
using Spectre.Console;

namespace LowBit.Cli.Support;

/// <summary>Receives progress of one long phase ("calibrating", "evaluating", ...): units done and the total when known.</summary>
internal interface IPhaseProgress
{
    void Report(string phase, long done, long? total);
}

/// <summary>
/// Progress of long commands on stderr: a Spectre progress bar per phase when stderr is a terminal (and not --json);
/// otherwise, when stderr is redirected (a log file, CI) or with --verbose, a plain "lowbit: phase done/total" line at
/// most every <see cref="PlainInterval"/> per phase and at the end of each phase. Reports may come from any thread.
/// Every report is also a cancellation point: the library's long loops report once per batch, so Ctrl-C stops them
/// within one batch, wherever they run.
/// </summary>
internal static class ProgressDisplay
{
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(1);

    public static T Run<T>(CliContext ctx, Func<IPhaseProgress, T> work)
    {
        if (ctx.InteractiveErr && !ctx.Json)
        {
            T result = default!;
            CliContext.MakeConsole(ctx.Err, terminal: true).Progress().AutoClear(true).HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new SpinnerColumn())
                .Start(pc => result = work(new BarSink(pc, ctx.Cancellation)));
            return result;
        }
        return work(new PlainSink(ctx));
    }

    public static void Run(CliContext ctx, Action<IPhaseProgress> work) => Run<int>(ctx, p =>
    {
        work(p);
        return 0;
    });

    private sealed class BarSink(ProgressContext pc, CancellationToken cancellation) : IPhaseProgress
    {
        private readonly Dictionary<string, ProgressTask> tasks = new();
        private readonly Lock gate = new();

        public void Report(string phase, long done, long? total)
        {
            cancellation.ThrowIfCancellationRequested();
            lock (gate)
            {
                if (!tasks.TryGetValue(phase, out var task))
                {
                    task = tasks[phase] = pc.AddTask(Markup.Escape(phase), maxValue: Math.Max(1, total ?? 1));
                    if (total is null) task.IsIndeterminate = true;
                }
                if (total is long t) task.MaxValue = Math.Max(1, t);
                task.Value = done;
                task.Description = Markup.Escape(total is long all ? $"{phase} {done}/{all}" : $"{phase} {done}");
                pc.Refresh();
            }
        }
    }

    private sealed class PlainSink(CliContext ctx) : IPhaseProgress
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly Dictionary<string, TimeSpan> last = new();
        private readonly Lock gate = new();

        public void Report(string phase, long done, long? total)
        {
            ctx.ThrowIfCancelled();
            if (!ctx.Verbose && !ctx.ProgressLines) return;
            lock (gate)
            {
                if (done == 0) return;
                bool end = total is long t && done >= t;
                if (!end && last.TryGetValue(phase, out var at) && clock.Elapsed - at < PlainInterval) return;
                last[phase] = clock.Elapsed;
                ctx.Err.WriteLine("lowbit: " + (total is long all ? $"{phase} {done}/{all}" : $"{phase} {done}"));
                ctx.Err.Flush();
            }
        }
    }
}

/// <summary>Adapters from the library's progress types to a phase sink.</summary>
internal static class PhaseProgress
{
    public static IProgress<Quantization.CalibrationProgress> Calibration(IPhaseProgress p) =>
        new Direct<Quantization.CalibrationProgress>(c => p.Report("calibrating", c.Done, c.Total));

    /// <summary>A weight algorithm's layers as one phase; each layer's detail line (loss, output error) goes to --verbose.</summary>
    public static IProgress<Quantization.Algorithms.AlgorithmProgress> Algorithm(IPhaseProgress p, CliContext ctx, string name) =>
        new Direct<Quantization.Algorithms.AlgorithmProgress>(a =>
        {
            p.Report(name, a.Done, a.Total);
            ctx.Trace($"{name}: {a.Detail}");
        });

    public static IProgress<Reports.EvalProgress> Eval(IPhaseProgress p, string? prefix = null) =>
        new Direct<Reports.EvalProgress>(e => p.Report(prefix is null ? PhaseName(e.Phase) : $"{prefix}: {PhaseName(e.Phase)}", e.Done, e.Total));

    private static string PhaseName(string phase) => phase switch
    {
        "evaluate" => "evaluating",
        "compare" => "comparing layers",
        "attribution" => "attributing error",
        _ => phase,
    };

    /// <summary>Calls the action on the reporting thread (System.Progress would post to the thread pool, out of order).</summary>
    private sealed class Direct<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
