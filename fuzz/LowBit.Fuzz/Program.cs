using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;

namespace LowBit.Fuzz;

/// <summary>
/// In-process coverage-guided fuzzer over SharpFuzz's edge map (see docs/fuzzing.md for the commands):
/// <c>fuzz TARGET --seeds DIR [--corpus DIR] [--runs N] [--seconds S] [--timeout-ms T] [--crashes DIR] [--rng R]</c>,
/// <c>minimize TARGET --corpus DIR --out DIR</c>, <c>replay TARGET FILE...</c>.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: LowBit.Fuzz fuzz|minimize|replay TARGET [options]; targets: " + string.Join(", ", Target.All.Select(t => t.Name)));
            return 2;
        }
        var target = Target.Get(args[1]);
        var opts = Options.Parse(args[2..]);
        try
        {
            return args[0] switch
            {
                "fuzz" => Fuzz(target, opts),
                "minimize" => Minimizer.Run(target, opts.Get("corpus"), opts.Get("out"), int.Parse(opts.Get("max-bytes", "40000"))),
                "replay" => Replay(target, opts.Positional),
                _ => throw new ArgumentException($"unknown command '{args[0]}'"),
            };
        }
        finally
        {
            Target.DeleteScratch();
        }
    }

    private static int Fuzz(Target target, Options opts)
    {
        long runs = long.Parse(opts.Get("runs", "1000000"));
        double seconds = double.Parse(opts.Get("seconds", "1e9"));
        int timeoutMs = int.Parse(opts.Get("timeout-ms", "5000"));
        string? corpusDir = opts.Find("corpus");
        string crashDir = opts.Get("crashes", $"fuzz-crashes/{target.Name}");
        var rng = new Random(int.Parse(opts.Get("rng", "1")));
        var corpus = new List<byte[]>();
        foreach (var dir in new[] { opts.Find("seeds"), corpusDir })
            if (dir is not null && Directory.Exists(dir))
                corpus.AddRange(Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes));
        if (corpus.Count == 0) corpus.Add([]);
        if (corpusDir is not null) Directory.CreateDirectory(corpusDir);

        using var cov = new Coverage();
        // The input under test is mirrored into a mapped file so that a run killed by a stack overflow or the watchdog
        // still leaves it behind (crashes/current).
        Directory.CreateDirectory(crashDir);
        using var current = MemoryMappedFile.CreateFromFile(Path.Combine(crashDir, "current"), FileMode.Create, null, target.MaxLength + 4);
        using var view = current.CreateViewAccessor();
        long startedAt = 0;
        var watchdog = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(200);
                long s = Interlocked.Read(ref startedAt);
                if (s != 0 && Stopwatch.GetElapsedTime(s).TotalMilliseconds > timeoutMs)
                {
                    Console.Error.WriteLine($"HANG: one input ran over {timeoutMs} ms; it is in {Path.Combine(crashDir, "current")}");
                    Environment.Exit(3);
                }
            }
        }) { IsBackground = true };
        watchdog.Start();

        var known = new HashSet<string>();
        foreach (var seed in corpus.ToArray()) Exec(seed, out _);
        if (cov.EdgesSeen == 0) throw new InvalidOperationException("no coverage: LowBit.dll is not instrumented (run sharpfuzz on the output folder's LowBit.dll, docs/fuzzing.md)");
        var mutator = new Mutator(rng, target.MaxLength, target.Dictionary);
        var clock = Stopwatch.StartNew();
        long execs = 0, crashes = 0;
        double lastReport = 0;
        while (execs < runs && clock.Elapsed.TotalSeconds < seconds)
        {
            var child = mutator.Mutate(corpus[rng.Next(corpus.Count)], corpus);
            bool fresh = Exec(child, out var error);
            execs++;
            if (fresh)
            {
                corpus.Add(child);
                if (corpusDir is not null) File.WriteAllBytes(Path.Combine(corpusDir, Hash(child)), child);
            }
            if (error is not null)
            {
                crashes++;
                string key = error.GetType().Name + "@" + (error.StackTrace?.Split('\n')[0].Trim() ?? "");
                if (known.Add(key))
                {
                    string file = Path.Combine(crashDir, "crash-" + Hash(child));
                    File.WriteAllBytes(file, child);
                    File.WriteAllText(file + ".txt", error.ToString());
                    Console.WriteLine($"CRASH {target.Name}: {error.GetType().Name}: {error.Message.Split('\n')[0]} -> {file}");
                }
            }
            if (clock.Elapsed.TotalSeconds - lastReport >= 10)
            {
                lastReport = clock.Elapsed.TotalSeconds;
                Console.WriteLine($"{target.Name}: {execs} execs, {execs / lastReport:F0}/s, corpus {corpus.Count}, edges {cov.EdgesSeen}, crashing inputs {crashes} ({known.Count} distinct)");
            }
        }
        Console.WriteLine($"DONE {target.Name}: {execs} execs in {clock.Elapsed.TotalSeconds:F0} s, corpus {corpus.Count}, edges {cov.EdgesSeen}, crashing inputs {crashes} ({known.Count} distinct)");
        return known.Count == 0 ? 0 : 1;

        bool Exec(byte[] input, out Exception? error)
        {
            view.Write(0, input.Length);
            view.WriteArray(4, input, 0, input.Length);
            cov.Reset();
            Interlocked.Exchange(ref startedAt, Stopwatch.GetTimestamp());
            error = target.Check(input);
            Interlocked.Exchange(ref startedAt, 0);
            return cov.MergeNew();
        }
    }

    private static int Replay(Target target, IReadOnlyList<string> files)
    {
        using var cov = new Coverage();  // instrumented code writes to the edge map, which must exist
        int bad = 0;
        foreach (var f in files)
        {
            var error = target.Check(File.ReadAllBytes(f));
            Console.WriteLine(error is null ? $"ok    {f}" : $"CRASH {f}: {error}");
            if (error is not null) bad++;
        }
        return bad == 0 ? 0 : 1;
    }

    internal static string Hash(byte[] b) => Convert.ToHexStringLower(SHA1.HashData(b));
}

internal sealed record Options(Dictionary<string, string> Named, List<string> Positional)
{
    public static Options Parse(string[] args)
    {
        var named = new Dictionary<string, string>();
        var positional = new List<string>();
        for (int i = 0; i < args.Length; i++)
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length) named[args[i][2..]] = args[++i];
            else positional.Add(args[i]);
        return new Options(named, positional);
    }

    public string? Find(string key) => Named.GetValueOrDefault(key);
    public string Get(string key, string? fallback = null) =>
        Named.GetValueOrDefault(key) ?? fallback ?? throw new ArgumentException($"--{key} is required");
}
