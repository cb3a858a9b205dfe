using System.CommandLine;
using LowBit.Cli.Support;
using LowBit.Onnx;
using Spectre.Console;

namespace LowBit.Cli.Commands;

internal sealed record EngineTiming(
    string Engine, double LoadMs, int Runs, double MedianMs, double P90Ms, double MinMs, double MeanMs,
    double ItemsPerSecond, long ManagedBytesPerRun);

/// <summary>Peak memory of the whole process (model loading, inputs and every engine together), not of one engine.</summary>
internal sealed record MemoryReport(long? PeakWorkingSetBytes, string Scope, long ManagedAllocatedBytes, int Gen0Collections, int Gen1Collections, int Gen2Collections);

/// <summary>JSON result of <c>lowbit bench</c> (docs/cli.md).</summary>
internal sealed record BenchResult(
    string Command, string Model, int Threads, int Batch, int Warmup, bool Interleaved, bool OrtSpinning,
    IReadOnlyList<InputReport> Inputs, IReadOnlyList<EngineTiming> Engines, double? LowbitOverOrtMedian, MemoryReport Memory);

/// <summary>
/// <c>lowbit bench MODEL [--engine lowbit|ort|both] [--threads N] [--batch N] [--warmup N] [--iterations N | --seconds S]</c>.
/// Inputs are random (seeded) and prepared once, outside the timed loop. With both engines the runs alternate
/// (LowBit, ORT, ORT, LowBit, ...) on the same inputs so that machine drift hits both alike.
/// </summary>
internal static class BenchCommand
{
    public const double DefaultSeconds = 5;
    /// <summary>Each engine is timed at least this often, whatever --seconds says, so a median exists.</summary>
    public const int MinRuns = 3;

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var model = CommonOptions.Model();
        var engine = CommonOptions.Engine(both: true, defaultValue: "both");
        var threads = CommonOptions.Threads();
        var batch = CommonOptions.AtLeast("--batch", 1, "Batch size: the first dimension of every input (default: as declared, symbolic = 1)");
        var warmup = CommonOptions.Int("--warmup", 0, int.MaxValue, 2, "Untimed runs per engine before measuring");
        var iterations = CommonOptions.AtLeast("--iterations", 1, "Timed runs per engine (instead of --seconds)");
        var seconds = CommonOptions.Number("--seconds", 0, exclusive: true, $"Time budget for the timed runs (default {DefaultSeconds})");
        var seed = CommonOptions.Seed("Seed of the random inputs");
        var dims = CommonOptions.Dims();
        var cmd = new Command("bench", "Time a model in LowBit and/or ONNX Runtime: median/p90 latency, throughput, peak memory, LowBit/ORT ratio")
        {
            model, engine, threads, batch, warmup, iterations, seconds, seed, dims,
        };
        cmd.Validators.Add(r =>
        {
            if (r.GetResult(iterations) is { Implicit: false } && r.GetResult(seconds) is { Implicit: false })
                r.AddError("give either --iterations or --seconds, not both");
        });
        cmd.SetAction(pr => Execute(context(pr), new BenchRequest(
            pr.GetValue(model)!, pr.GetValue(engine)!, pr.GetValue(threads), pr.GetValue(batch), pr.GetValue(warmup),
            pr.GetValue(iterations), pr.GetValue(seconds), pr.GetValue(seed), pr.GetValue(dims) ?? [])));
        return cmd;
    }

    private static int Execute(CliContext ctx, BenchRequest req)
    {
        var graph = OnnxImporter.Load(req.Model);
        bool relaxed = req.Batch is int b && BatchShapes.Apply(graph, b);
        var inputs = ModelInputs.Build(graph, new InputRequest([], true, req.Seed, req.Dims, req.Batch), out var inputReports);
        int items = inputReports.FirstOrDefault(i => i.Shape.Length > 0)?.Shape[0] ?? 1;
        var names = req.Engine == "both" ? new[] { Engines.LowBit, Engines.Ort } : new[] { req.Engine };
        if (names.Contains(Engines.LowBit)) UnsupportedOps.ThrowIfAny(graph, req.Model);
        bool spinning = names.Length == 1;

        var engines = new List<IEngine>();
        try
        {
            var loadMs = new List<double>();
            foreach (var name in names)
            {
                ctx.ThrowIfCancelled();
                ctx.Trace($"loading {Support.Engines.DisplayName(name)}");
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                engines.Add(Support.Engines.Create(name, graph, req.Model, req.Threads, fromGraph: relaxed, ortSpinning: spinning));
                loadMs.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            var runs = engines.Select(e => e.Prepare(inputs)).ToArray();
            var loop = new BenchLoop(runs, ctx.Cancellation);
            int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            void Measure(Action<string>? progress)
            {
                try
                {
                    ctx.Trace($"warming up ({req.Warmup} runs per engine)");
                    loop.Warmup(req.Warmup);
                }
                catch (LowBitException e) when (relaxed)
                {
                    throw new LowBitException(e.Kind, $"{e.Message} (the model declares batch 1; --batch {req.Batch} relaxed it, but its nodes may assume batch 1)", e);
                }
                ctx.Trace("measuring");
                loop.Measure(req.Iterations, req.Iterations is null ? req.Seconds ?? DefaultSeconds : null, MinRuns, progress);
            }
            if (ctx.InteractiveErr && !ctx.Json)
                CliContext.MakeConsole(ctx.Err, terminal: true).Status().Start("benchmarking…", s => Measure(text => s.Status(text)));
            else
                Measure(null);

            // JSON figures: ms to 0.1 µs; items/s and the ratio derive from those rounded medians.
            static double Ms(double v) => Math.Max(Math.Round(v, 4), 1e-4);
            var timings = engines.Select((e, i) =>
            {
                var st = LatencyStats.Of(loop.Milliseconds[i]);
                return new EngineTiming(e.Name, Ms(loadMs[i]), st.Runs, Ms(st.MedianMs), Ms(st.P90Ms), Ms(st.MinMs), Ms(st.MeanMs),
                    Math.Round(items / (Ms(st.MedianMs) / 1000), 1), loop.AllocatedBytes[i] / Math.Max(1, st.Runs));
            }).ToList();
            double? ratio = timings.Count == 2 ? Math.Round(timings[0].MedianMs / timings[1].MedianMs, 4) : null;
            var memory = new MemoryReport(ProcessMemory.PeakWorkingSet(),
                "whole process: model load, inputs and every engine benchmarked, since process start",
                GC.GetTotalAllocatedBytes(precise: true) - allocated,
                GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
            var result = new BenchResult("bench", Format.FullPath(req.Model), req.Threads, items, req.Warmup, names.Length > 1, spinning,
                inputReports, timings, ratio, memory);
            if (ctx.Json) ctx.WriteJson(result);
            else Print(ctx.Console, result);
            return ErrorBoundary.Ok;
        }
        finally
        {
            foreach (var e in engines) e.Dispose();
        }
    }

    private static void Print(IAnsiConsole c, BenchResult r)
    {
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/]: batch {r.Batch}, {r.Threads} thread{(r.Threads == 1 ? "" : "s")} per engine, " +
                     $"{r.Warmup} warmup run{(r.Warmup == 1 ? "" : "s")}{(r.Interleaved ? ", engines interleaved" : "")}");
        var t = new Table().Border(TableBorder.Rounded).AddColumn("engine");
        foreach (var h in new[] { "median ms", "p90 ms", "min ms", "items/s", "runs", "load ms", "managed alloc/run" })
            t.AddColumn(new TableColumn(h).RightAligned());
        foreach (var e in r.Engines)
            t.AddRow(Support.Engines.DisplayName(e.Engine), Format.Ms(e.MedianMs), Format.Ms(e.P90Ms), Format.Ms(e.MinMs),
                e.ItemsPerSecond.ToString("0.0"), e.Runs.ToString(), Format.Ms(e.LoadMs), Format.Bytes(e.ManagedBytesPerRun));
        c.Write(t);
        if (r.LowbitOverOrtMedian is double ratio)
            c.MarkupLine($"LowBit/ONNX Runtime median latency ratio: [bold]{ratio:0.00}[/] " +
                         (ratio > 1 ? $"(LowBit {ratio:0.00}× slower)" : $"(LowBit {1 / ratio:0.00}× faster)"));
        var m = r.Memory;
        c.MarkupLine($"Peak working set: {(m.PeakWorkingSetBytes is long p ? Format.Bytes(p) : "unknown")} ({m.Scope})");
        c.MarkupLine($"Managed allocations while benchmarking: {Format.Bytes(m.ManagedAllocatedBytes)} " +
                     $"(GC collections gen0/1/2: {m.Gen0Collections}/{m.Gen1Collections}/{m.Gen2Collections})");
    }
}

internal sealed record BenchRequest(
    string Model, string Engine, int Threads, int? Batch, int Warmup, int? Iterations, double? Seconds, int Seed, IReadOnlyList<string> Dims);
