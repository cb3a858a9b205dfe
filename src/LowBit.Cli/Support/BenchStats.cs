namespace LowBit.Cli.Support;

/// <summary>Latency statistics of one engine's timed runs (milliseconds).</summary>
internal sealed record LatencyStats(int Runs, double MedianMs, double P90Ms, double MinMs, double MeanMs)
{
    /// <summary>Median: mean of the two middle values for an even count. p90: nearest rank, the ⌈0.9·n⌉-th smallest.</summary>
    public static LatencyStats Of(IReadOnlyList<double> ms)
    {
        if (ms.Count == 0) throw new ArgumentException("no timings");
        var s = ms.Order().ToArray();
        int n = s.Length;
        double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        double p90 = s[Math.Max(0, (int)Math.Ceiling(0.9 * n) - 1)];
        return new LatencyStats(n, median, p90, s[0], s.Average());
    }
}

/// <summary>Process memory figures: /proc/self/status on Linux, the OS process counters elsewhere.</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size ("high water mark") of the whole process since it started, in bytes.</summary>
    public static long? PeakWorkingSet() =>
        OperatingSystem.IsLinux() ? ReadKb("VmHWM:") : System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;

    private static long? ReadKb(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                    return long.Parse(line[key.Length..].Trim().Split(' ')[0]) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }
}
