namespace LowBit.Fuzz;

/// <summary>
/// Corpus minimisation: replays every file, records the edges it hits, then greedily keeps the input that covers the
/// most edges not yet covered per byte (smallest first on ties) until every edge the corpus reaches is covered or the
/// byte budget is spent. The kept files are the regression seeds (tests/LowBit.Tests/Fuzz/TARGET/).
/// </summary>
internal static class Minimizer
{
    public static int Run(Target target, string corpusDir, string outDir, int maxBytes)
    {
        using var cov = new Coverage();
        var entries = new List<(string File, byte[] Bytes, HashSet<int> Edges)>();
        foreach (var f in Directory.GetFiles(corpusDir).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(f);
            cov.Reset();
            if (target.Check(bytes) is { } e) Console.WriteLine($"warning: {f} crashes ({e.GetType().Name}); not kept");
            else entries.Add((f, bytes, cov.HitEdges().ToHashSet()));
        }
        var uncovered = entries.SelectMany(e => e.Edges).ToHashSet();
        int total = uncovered.Count, bytesKept = 0;
        var kept = new List<(string File, byte[] Bytes, HashSet<int> Edges)>();
        while (uncovered.Count > 0)
        {
            var best = entries.Where(e => bytesKept + e.Bytes.Length <= maxBytes)
                .Select(e => (e, gain: e.Edges.Count(uncovered.Contains)))
                .Where(x => x.gain > 0)
                .OrderByDescending(x => x.gain / (double)(x.e.Bytes.Length + 16)).ThenBy(x => x.e.Bytes.Length)
                .FirstOrDefault();
            if (best.e.Bytes is null) break;
            kept.Add(best.e);
            bytesKept += best.e.Bytes.Length;
            uncovered.ExceptWith(best.e.Edges);
            entries.Remove(best.e);
        }
        Directory.CreateDirectory(outDir);
        // crash-* seeds are named regression inputs (see FuzzSeedTests), kept whatever their coverage.
        foreach (var f in Directory.GetFiles(outDir).Where(f => !Path.GetFileName(f).StartsWith("crash-", StringComparison.Ordinal))) File.Delete(f);
        foreach (var k in kept) File.WriteAllBytes(Path.Combine(outDir, Program.Hash(k.Bytes)[..16] + "." + target.Name), k.Bytes);
        Console.WriteLine($"{target.Name}: kept {kept.Count} of {kept.Count + entries.Count} inputs ({bytesKept} bytes), covering {total - uncovered.Count} of {total} edges");
        return 0;
    }
}
