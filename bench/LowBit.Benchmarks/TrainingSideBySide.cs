using System.Diagnostics;
using LowBit.Nn;
using LowBit.Nn.Optim;
using LowBit.Nn.Zoo;
using LowBit.Runtime;
using LowBit.Tensors;

namespace LowBit.Benchmarks;

/// <summary>
/// One training step (forward, cross-entropy, backward, SGD Nesterov step) of a zoo model in LowBit and in PyTorch
/// (<c>scripts/train_step_speed.py --serve</c>, same architecture, same batch and threads), in alternating blocks of
/// steps so both see the same machine load. Reports per engine the median wall and process-CPU time per step, the median
/// of per-round wall ratios LowBit/PyTorch (the figure to quote on a shared machine) and the ratio of minima.
/// <c>--profile</c> instead times LowBit's forward and backward per op type (<c>--detail</c>: also per node; <c>--cpu</c>: process CPU time instead of wall time).
/// Usage: <c>train [--model fashion-cnn,resnet8] [--batch 128] [--threads 2] [--rounds 8] [--block 3] [--python /usr/bin/python3]
/// [--profile [--detail] [--cpu]]</c>.
/// </summary>
internal static class TrainingSideBySide
{
    public static int Run(string[] args)
    {
        var models = Option(args, "--model", "fashion-cnn,resnet8").Split(',');
        int batch = int.Parse(Option(args, "--batch", "128"));
        int threads = int.Parse(Option(args, "--threads", "2"));
        int rounds = int.Parse(Option(args, "--rounds", "8"));
        int block = int.Parse(Option(args, "--block", "3"));
        string python = Option(args, "--python", "/usr/bin/python3");
        Console.WriteLine($"batch {batch}, threads {threads}, kernel {Kernels.KernelTable.Sgemm.Name}");
        foreach (var model in models)
        {
            if (args.Contains("--profile")) TrainingProfile.Run(model, batch, threads, Math.Max(rounds, 3), args.Contains("--detail"), args.Contains("--cpu"));
            else Compare(model, batch, threads, rounds, block, python);
        }
        return 0;
    }

    private sealed class Step
    {
        private readonly TrainingSession session;
        private readonly Sgd opt;
        private readonly Dictionary<string, Tensor> feed;
        private readonly Tensor targets;

        public Step(string model, int batch, int threads)
        {
            var g = ModelZoo.Build(model);
            session = new TrainingSession(g, new SessionOptions(threads), seed: 1);
            opt = new Sgd(g, new SgdOptions(0.01, momentum: 0.9, nesterov: true));
            var rng = new Random(1);
            feed = new() { [g.Inputs[0].Name] = Tensor.FromArray(Enumerable.Range(0, batch * 28 * 28).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), batch, 1, 28, 28) };
            targets = Tensor.FromArray(Enumerable.Range(0, batch).Select(_ => rng.NextInt64(10)).ToArray(), batch);
        }

        public void Run()
        {
            var logits = session.Forward(feed, training: true)["logits"];
            var loss = Losses.CrossEntropy(logits, targets);
            opt.Step(session.Backward(new Dictionary<string, Tensor> { ["logits"] = loss.Gradient }, opt.ParameterNames));
        }
    }

    private static void Compare(string model, int batch, int threads, int rounds, int block, string python)
    {
        var step = new Step(model, batch, threads);
        for (int i = 0; i < 2; i++) step.Run();
        string script = Path.Combine(RepoRoot(), "scripts", "train_step_speed.py");
        using var torch = Process.Start(new ProcessStartInfo(python, [script, "--model", model, "--batch", batch.ToString(), "--threads", threads.ToString(), "--serve"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"could not start {python}");
        if (torch.StandardOutput.ReadLine() != "ready") throw new InvalidOperationException("the PyTorch script did not start");
        var ours = new List<(double Wall, double Cpu)>();
        var theirs = new List<(double Wall, double Cpu)>();
        var ratios = new List<double>();
        using var self = Process.GetCurrentProcess();
        for (int r = 0; r < rounds; r++)
        {
            var mine = new List<(double, double)>();
            for (int i = 0; i < block; i++)
            {
                self.Refresh();
                var c0 = self.TotalProcessorTime;
                long t0 = Stopwatch.GetTimestamp();
                step.Run();
                double wall = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                self.Refresh();
                mine.Add((wall, (self.TotalProcessorTime - c0).TotalMilliseconds));
            }
            torch.StandardInput.WriteLine(block);
            var line = torch.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the PyTorch script stopped");
            var other = line.Split(' ').Select(p => p.Split('/')).Select(p => (double.Parse(p[0]), double.Parse(p[1]))).ToList();
            ours.AddRange(mine);
            theirs.AddRange(other);
            ratios.Add(Median(mine.Select(m => m.Item1)) / Median(other.Select(o => o.Item1)));
        }
        torch.StandardInput.WriteLine("quit");
        torch.WaitForExit();
        Console.WriteLine($"{model}: LowBit wall median {Median(ours.Select(o => o.Wall)):F1} ms (min {ours.Min(o => o.Wall):F1}, CPU {Median(ours.Select(o => o.Cpu)):F1}); " +
            $"PyTorch wall median {Median(theirs.Select(o => o.Wall)):F1} ms (min {theirs.Min(o => o.Wall):F1}, CPU {Median(theirs.Select(o => o.Cpu)):F1}); " +
            $"LowBit/PyTorch: median of per-round wall ratios {Median(ratios):F3} (range {ratios.Min():F3}–{ratios.Max():F3}), " +
            $"ratio of minima {ours.Min(o => o.Wall) / theirs.Min(o => o.Wall):F3}, ratio of CPU medians {Median(ours.Select(o => o.Cpu)) / Median(theirs.Select(o => o.Cpu)):F3}");
    }

    internal static double Median(IEnumerable<double> values)
    {
        var s = values.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "LowBit.slnx"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    private static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
