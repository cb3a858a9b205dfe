using System.Diagnostics;
using System.Reflection;
using LowBit.Graph;
using LowBit.Onnx;
using LowBit.OnnxRuntime;
using LowBit.Runtime;
using LowBit.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace LowBit.Benchmarks;

/// <summary>
/// ResNet18 (CNTK export, DESIGN.md §6) in LowBit and ONNX Runtime in one process, same threads, same input, timed in
/// alternating blocks (the first run of each block is dropped so one engine's idle worker threads do not bill the
/// other). Reports each engine's median and minimum latency, the median of per-round ratios LowBit/ORT (the figure to
/// quote on a shared machine), the ratio of minima (closest to an idle machine), and the parity error
/// max|LowBit − ORT| / max|ORT|.
/// Usage: <c>resnet [--batch 1,8] [--threads 2] [--rounds 10] [--block 5] [--cpu-time] [--model path]</c>;
/// <c>resnet --profile [--batch 8] [--threads 2]</c> times LowBit's nodes (SessionOptions.Profile) at 1 and N threads
/// instead: where the multi-thread speed-up is lost.
/// </summary>
internal static class ResNetSideBySide
{
    public static int Run(string[] args)
    {
        var batches = Option(args, "--batch", "1,8").Split(',').Select(int.Parse).ToArray();
        int threads = int.Parse(Option(args, "--threads", "2"));
        int rounds = int.Parse(Option(args, "--rounds", "10"));
        int block = int.Parse(Option(args, "--block", "5"));
        cpuTime = args.Contains("--cpu-time");
        string path = Option(args, "--model", DefaultModel());
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"ResNet18 not found at {path} (restore bench/LowBit.Benchmarks to download it)");
            return 2;
        }
        Console.WriteLine($"model {path}");
        if (args.Contains("--profile"))
        {
            foreach (int batch in batches) Profile(path, batch, threads);
            return 0;
        }
        Console.WriteLine($"{(cpuTime ? "process CPU time" : "wall time")}, threads {threads}, {rounds} rounds of {block} runs per engine (first of each block dropped), kernel {Kernels.KernelTable.Sgemm.Name}");
        foreach (int batch in batches) Measure(path, batch, threads, rounds, block);
        return 0;
    }

    private static void Measure(string path, int batch, int threads, int rounds, int block)
    {
        var graph = WithBatch(OnnxImporter.Load(path), batch);
        var input = graph.Inputs[0];
        var shape = input.Shape!.Select(d => (int)d.Value!).ToArray();
        var rnd = new Random(42);
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rnd.NextDouble() * 255 - 128);
        var x = Tensor.FromArray(data, shape);
        var feed = new Dictionary<string, Tensor> { [input.Name] = x };

        Session session;
        try
        {
            session = new Session(graph, new LowBit.Runtime.SessionOptions(threads));
        }
        catch (LowBitException e) when (e.Kind == ErrorKind.UnsupportedOp && e.Message.Contains("BatchNormalization"))
        {
            // Until the BatchNormalization op exists, both engines run the graph with BN already folded.
            Console.WriteLine("BatchNormalization is not registered: timing the BN-folded graph in both engines");
            Graph.Passes.FoldBatchNorm.Apply(graph);
            session = new Session(graph, new LowBit.Runtime.SessionOptions(threads));
        }
        using var ort = OrtRunner.FromGraph(graph, threads);
        using var ortInput = OrtValue.CreateTensorValueFromMemory(data, shape.Select(d => (long)d).ToArray());
        string[] inNames = [input.Name], outNames = [graph.Outputs[0].Name];
        OrtValue[] ortInputs = [ortInput];

        var ours = session.Run(feed)[outNames[0]];
        var theirs = ort.Run(feed)[outNames[0]];
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < theirs.Length; i++)
        {
            maxRef = Math.Max(maxRef, Math.Abs(theirs.GetDouble(i)));
            maxDiff = Math.Max(maxDiff, Math.Abs(theirs.GetDouble(i) - ours.GetDouble(i)));
        }
        for (int i = 0; i < 2; i++) { session.Run(feed); ort.RunPrepared(inNames, ortInputs, outNames); }

        var lowbit = new List<double>();
        var onnx = new List<double>();
        var ratios = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var l = Time(block, () => session.Run(feed));
            var o = Time(block, () => ort.RunPrepared(inNames, ortInputs, outNames));
            lowbit.AddRange(l);
            onnx.AddRange(o);
            ratios.Add(Median(l) / Median(o));
        }
        Console.WriteLine($"batch {batch}: LowBit median {Median(lowbit):F2} ms (min {lowbit.Min():F2}), ORT median {Median(onnx):F2} ms (min {onnx.Min():F2}); " +
            $"LowBit/ORT: median of per-round ratios {Median(ratios):F3} (range {ratios.Min():F3}–{ratios.Max():F3}), ratio of minima {lowbit.Min() / onnx.Min():F3}; " +
            $"parity max|diff|/max|ORT| = {maxDiff / maxRef:E2}");
    }

    /// <summary>Per node: milliseconds per run at 1 and <paramref name="threads"/> threads (10 runs after 3 warm-ups) and
    /// the speed-up, largest 1-thread cost first; totals per op type at the end.</summary>
    private static void Profile(string path, int batch, int threads)
    {
        var graph = WithBatch(OnnxImporter.Load(path), batch);
        var input = graph.Inputs[0];
        var shape = input.Shape!.Select(d => (int)d.Value!).ToArray();
        var rnd = new Random(42);
        var x = Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)(rnd.NextDouble() * 255 - 128)).ToArray(), shape);
        var feed = new Dictionary<string, Tensor> { [input.Name] = x };
        Dictionary<(string Node, string OpType), double> Times(int t)
        {
            var warm = new Session(graph, new LowBit.Runtime.SessionOptions(t));
            for (int i = 0; i < 3; i++) warm.Run(feed);
            var s = new Session(graph, new LowBit.Runtime.SessionOptions(t) { Profile = true });
            for (int i = 0; i < 10; i++) s.Run(feed);
            return s.NodeTimes.ToDictionary(kv => kv.Key, kv => kv.Value / 10);
        }
        var one = Times(1);
        var many = Times(threads);
        Console.WriteLine($"batch {batch}: {one.Values.Sum():F1} ms at 1 thread, {many.Values.Sum():F1} ms at {threads} (×{one.Values.Sum() / many.Values.Sum():F2})");
        foreach (var (key, ms) in one.OrderByDescending(kv => kv.Value).Take(25))
            Console.WriteLine($"  {key.Node,-28} {key.OpType,-22} {ms,8:F2} ms {many.GetValueOrDefault(key),8:F2} ms  ×{ms / Math.Max(1e-9, many.GetValueOrDefault(key)):F2}");
        foreach (var group in one.GroupBy(kv => kv.Key.OpType).OrderByDescending(gr => gr.Sum(kv => kv.Value)))
        {
            double a = group.Sum(kv => kv.Value), b = group.Sum(kv => many.GetValueOrDefault(kv.Key));
            Console.WriteLine($"  total {group.Key,-22} {a,8:F2} ms {b,8:F2} ms  ×{a / Math.Max(1e-9, b):F2}");
        }
    }

    private static bool cpuTime;

    /// <summary>Wall time per run, or with --cpu-time the process's CPU time (user + system) per run: on a loaded
    /// machine that excludes time spent waiting for a core. Only meaningful with --threads 1 (ONNX Runtime's worker
    /// threads spin, which CPU time would bill).</summary>
    internal static List<double> Time(int count, Action run)
    {
        var times = new List<double>();
        using var self = Process.GetCurrentProcess();
        for (int i = 0; i < count; i++)
        {
            self.Refresh();
            var c0 = self.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            run();
            var wall = Stopwatch.GetElapsedTime(t0);
            self.Refresh();
            if (i > 0) times.Add(cpuTime ? (self.TotalProcessorTime - c0).TotalMilliseconds : wall.TotalMilliseconds);
        }
        return times;
    }

    internal static double Median(List<double> v)
    {
        var s = v.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>The same graph with batch dim <paramref name="batch"/> on its input and output (the file declares 1).</summary>
    internal static Graph.Graph WithBatch(Graph.Graph g, int batch)
    {
        ValueInfo Rebatch(ValueInfo v) => v.Shape is null ? v : v with { Shape = [Dim.Known(batch), .. v.Shape[1..]] };
        g.Inputs[0] = Rebatch(g.Inputs[0]);
        for (int i = 0; i < g.Outputs.Count; i++) g.Outputs[i] = Rebatch(g.Outputs[i]);
        g.ValueInfos.Clear();
        return g;
    }

    private static string DefaultModel()
    {
        string root = typeof(ResNetSideBySide).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(root, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
    }

    internal static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
