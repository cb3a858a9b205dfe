namespace LowBit.Kernels;

/// <summary>
/// Degree of parallelism for kernels. A session sets <see cref="Degree"/> on the thread that runs the graph; kernels
/// called from that thread split work into at most that many parts.
/// </summary>
public static class Parallelism
{
    [ThreadStatic] private static int degree;

    /// <summary>Threads kernels may use; defaults to the processor count.</summary>
    public static int Degree
    {
        get => degree > 0 ? degree : Environment.ProcessorCount;
        set => degree = value;
    }

    /// <summary>Runs body(i) for i in [0, count). Serial when <see cref="Degree"/> is 1 or there is one item.</summary>
    public static void For(int count, Action<int> body)
    {
        int d = Degree;
        if (d <= 1 || count <= 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        System.Threading.Tasks.Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = d }, body);
    }

    /// <summary>Splits [0, total) into at most <see cref="Degree"/> contiguous ranges of at least <paramref name="minChunk"/>
    /// items and runs body(start, end) on each.</summary>
    public static void ForRange(int total, int minChunk, Action<int, int> body)
    {
        int d = Degree;
        int parts = (int)Math.Min(d, Math.Max(1, total / Math.Max(1, minChunk)));
        if (parts <= 1) { body(0, total); return; }
        int chunk = (total + parts - 1) / parts;
        For(parts, p =>
        {
            int s = p * chunk, e = Math.Min(total, s + chunk);
            if (s < e) body(s, e);
        });
    }
}
