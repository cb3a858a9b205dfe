using System.Diagnostics;

namespace LowBit.Cli.Support;

/// <summary>
/// Runs several prepared engines alternately. Iteration i runs engines in order when i is even and in reverse when odd
/// (A B, B A, A B, ...), so neither engine always runs right after the other (caches, clocks, spinning threads).
/// Only the model call is inside the timed window; allocation counting happens outside it.
/// </summary>
internal sealed class BenchLoop
{
    private const int MaxIterations = 1_000_000;
    private readonly Action[] runs;
    private readonly CancellationToken cancellation;

    public List<double>[] Milliseconds { get; }
    /// <summary>Managed bytes allocated (all threads) during each engine's timed runs, summed.</summary>
    public long[] AllocatedBytes { get; }

    public BenchLoop(Action[] runs, CancellationToken cancellation)
    {
        this.runs = runs;
        this.cancellation = cancellation;
        Milliseconds = runs.Select(_ => new List<double>()).ToArray();
        AllocatedBytes = new long[runs.Length];
    }

    public void Warmup(int count)
    {
        for (int i = 0; i < count; i++)
            foreach (var run in runs)
            {
                cancellation.ThrowIfCancellationRequested();
                run();
            }
    }

    /// <summary>Exactly <paramref name="iterations"/> runs per engine, or runs until <paramref name="seconds"/> have
    /// passed and every engine has at least <paramref name="minRuns"/>.</summary>
    public void Measure(int? iterations, double? seconds, int minRuns, Action<string>? progress)
    {
        long start = Stopwatch.GetTimestamp();
        for (int it = 0; it < MaxIterations; it++)
        {
            if (iterations is int n ? it >= n
                : it >= minRuns && Stopwatch.GetElapsedTime(start).TotalSeconds >= (seconds ?? 0))
                break;
            for (int k = 0; k < runs.Length; k++)
            {
                cancellation.ThrowIfCancellationRequested();
                int e = it % 2 == 0 ? k : runs.Length - 1 - k;
                long allocated = GC.GetTotalAllocatedBytes(precise: true);
                long t0 = Stopwatch.GetTimestamp();
                runs[e]();
                long t1 = Stopwatch.GetTimestamp();
                AllocatedBytes[e] += GC.GetTotalAllocatedBytes(precise: true) - allocated;
                Milliseconds[e].Add((t1 - t0) * 1000.0 / Stopwatch.Frequency);
            }
            progress?.Invoke($"benchmarking… {it + 1} run{(it == 0 ? "" : "s")} per engine");
        }
    }
}
