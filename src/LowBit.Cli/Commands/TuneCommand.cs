using System.CommandLine;
using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Cli.Tuning;
using LowBit.Onnx;
using LowBit.Quantization;

namespace LowBit.Cli.Commands;

/// <summary>One trial as reported: its place in the run, its config key, what it measured, whether it came from the log.</summary>
internal sealed record TuneTrialRow(int Trial, string Key, double? Top1, long? Bytes, double Seconds, bool Cached, string? Error);

/// <summary>The best trial and the <c>lowbit quantize</c> flags that reproduce its model.</summary>
internal sealed record TuneBest(string Key, double Top1, double? Drop, long Bytes, int FoundAtTrial, string QuantizeCommand);

/// <summary>JSON result of <c>lowbit tune</c> (docs/tuning.md).</summary>
internal sealed record TuneResult(string Command, string Model, string? Out, string Log, string Strategy, IReadOnlyDictionary<string, IReadOnlyList<string>> Space,
    int GridSize, int Budget, int Seed, string Eval, int EvalSamples, double? FloatTop1, IReadOnlyList<TuneTrialRow> Trials, TuneBest? Best,
    TuneComparison? Comparison, IReadOnlyList<string> Warnings, double Seconds);

/// <summary>
/// <c>lowbit tune MODEL --data SPEC --eval SPEC [--strategy model|random|grid|compare] [--trials N] [--space SPEC] [--log FILE]
/// [--trial KEY] [--out FILE]</c>: search over whole PTQ configurations (issue 11 part 5, Quantune). Each trial is a
/// deterministic quantize + ONNX Runtime top-1 (<see cref="TrialRunner"/>), appended to a JSON-lines log that a rerun or
/// an array job reuses; <c>compare</c> measures the whole grid once and replays grid, random and model search over it.
/// </summary>
internal static class TuneCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var o = new TuneOptions();
        var cmd = new Command("tune", "Auto-tune whole PTQ configurations (observer, granularity, weight range, algorithm, bias correction, exclusions) by measured top-1; model-based (FastTree), random or grid search");
        foreach (var s in o.All) SensitivityCommand.Add(cmd, s);
        cmd.SetAction(pr => Execute(context(pr), o, pr));
        return cmd;
    }

    private static int Execute(CliContext ctx, TuneOptions o, ParseResult pr)
    {
        var clock = Stopwatch.StartNew();
        string model = pr.GetValue(o.Model)!;
        string strategy = TuneOptions.ParseStrategy(pr.GetValue(o.Strategy)!);
        var space = TuneSpace.Parse(pr.GetValue(o.Space), TuneSpace.Default);
        var grid = space.Grid();
        if (pr.GetValue(o.List))
        {
            if (ctx.Json) ctx.WriteJson(new { Command = "tune", GridSize = grid.Count, Keys = grid.Select(c => c.Key).ToList() });
            else foreach (var c in grid) ctx.Out.WriteLine(c.Key);
            return ErrorBoundary.Ok;
        }
        var single = pr.GetValue(o.Trial) is string key ? TuneSpace.ParseKey(key, "--trial") : null;
        string? output = pr.GetValue(o.Out);
        string log = TuneOptions.LogPath(pr.GetValue(o.Log), output, model);
        TuneCheck.Paths(model, output, log, pr.GetValue(o.Force), single is not null);
        var s = TuneCheck.Open(ctx, o, pr, model);
        int budget = strategy == "compare" ? grid.Count : Math.Min(pr.GetValue(o.Trials), grid.Count);
        var warnings = new List<string>();
        if (single is not null && output is not null) warnings.Add($"--out {output}: ignored with --trial (one trial of an array job; run the strategy over the merged logs to write the best model)");
        if (strategy != "compare" && single is null && pr.GetValue(o.Trials) > grid.Count)
            warnings.Add($"--trials {pr.GetValue(o.Trials)}: the space has only {grid.Count} configurations; trying all of them");

        var result = ProgressDisplay.Run(ctx, p =>
        {
            var runner = new TrialRunner(ctx, s, p);
            if (single is not null) TuneCheck.Validate(runner, new TuneSpace(single.Values.Select(v => (IReadOnlyList<string>)[v]).ToList()));
            else TuneCheck.Validate(runner, space);
            var trialLog = new TrialLog(log, runner.Context);
            if (trialLog.Unreadable > 0) warnings.Add($"--log {log}: skipped {trialLog.Unreadable} unreadable line(s) (an interrupted write); those trials run again");
            if (trialLog.OtherContext > 0) warnings.Add($"--log {log}: ignored {trialLog.OtherContext} line(s) measured with another model, formats or data");
            var rows = new List<TuneTrialRow>();
            double Evaluate(TuneConfig c)
            {
                int n = rows.Count + 1;
                string label = $"trial {n}/{(single is null ? budget : 1)}";
                var cached = trialLog.Find(c.Key);
                var r = cached ?? runner.Run(c, label);
                if (cached is null)
                {
                    ctx.ThrowIfCancelled();
                    trialLog.Append(r);
                }
                rows.Add(new TuneTrialRow(n, c.Key, r.Top1, r.Bytes, r.Seconds, cached is not null, r.Error));
                ctx.Trace($"{label}: top-1 {(r.Top1 is double t ? $"{t:P2}" : "failed: " + r.Error)}{(cached is null ? "" : " (from the log)")} {c.Key}");
                p.Report("trials", n, single is null ? budget : 1);
                return r.Score;
            }

            TuneComparison? comparison = null;
            if (single is not null) Evaluate(single);
            else if (strategy == "compare")
            {
                var table = TuneLoop.Run(new GridStrategy(grid), grid.Count, Evaluate, cancel: ctx.Cancellation).ToDictionary(r => r.Config, r => r.Top1);
                int first = pr.GetValue(o.Seed);
                p.Report("replaying strategies", 0, null);
                comparison = TuneCompare.Run(space, table, Enumerable.Range(first, pr.GetValue(o.Seeds)).ToList(),
                    pr.GetValue(o.Tolerance) ?? TuneOptions.DefaultTolerance, ctx.Cancellation);
            }
            else
            {
                ITuneStrategy search = strategy switch
                {
                    "grid" => new GridStrategy(grid),
                    "random" => new RandomStrategy(grid, pr.GetValue(o.Seed)),
                    _ => new ModelStrategy(space, grid, pr.GetValue(o.Seed)),
                };
                TuneLoop.Run(search, budget, Evaluate, cancel: ctx.Cancellation);
            }
            double? floatTop1 = single is null ? runner.FloatTop1 : null;
            var best = rows.Where(r => r.Top1 is not null).OrderByDescending(r => r.Top1).ThenBy(r => r.Bytes).ThenBy(r => r.Trial).FirstOrDefault();
            TuneBest? bestInfo = null;
            if (best is not null)
            {
                var flags = runner.Flags(TuneSpace.ParseKey(best.Key, "--log"));
                bestInfo = new TuneBest(best.Key, best.Top1!.Value, floatTop1 is double f ? Math.Round((f - best.Top1.Value) * 100, 2) : null, best.Bytes ?? 0,
                    best.Trial, TuneFlags.Line(["lowbit", "quantize", model, "--out", output ?? "OUT.onnx", .. flags]));
                if (output is not null && single is null) WriteBest(ctx, runner, s, TuneSpace.ParseKey(best.Key, "--log"), model, output);
            }
            else if (output is not null && single is null) warnings.Add($"--out {output}: no trial succeeded; nothing written");
            return new TuneResult("tune", Format.FullPath(model), output is null || single is not null ? null : Format.FullPath(output), Format.FullPath(log),
                single is null ? strategy : "trial", TuneSpace.Dimensions.Select((d, i) => (d, space.Values[i])).ToDictionary(x => x.d, x => x.Item2),
                grid.Count, single is null ? budget : 1, pr.GetValue(o.Seed), s.Eval.Name, runner.EvalSamples, floatTop1, rows, bestInfo, comparison, warnings,
                Math.Round(clock.Elapsed.TotalSeconds, 2));
        });
        foreach (var w in result.Warnings) ctx.Warn(w);
        if (ctx.Json) ctx.WriteJson(result);
        else TunePrinter.Print(ctx.Console, result);
        return ErrorBoundary.Ok;
    }

    /// <summary>Quantizes the best config again (trials are deterministic) and writes it like <c>lowbit quantize</c>:
    /// model and manifest atomically, then checked in ONNX Runtime (both removed if it fails).</summary>
    private static void WriteBest(CliContext ctx, TrialRunner runner, TuneInputs s, TuneConfig best, string model, string output)
    {
        var q = runner.Quantize(best, "best");
        ctx.ThrowIfCancelled();
        q.Save(output, model);
        ExportCheck.Run("--out", output, ModelData.CheckInputs(s.Graph, s.Input, null), s.Threads, [QuantizedModel.ManifestPathFor(output)]);
        ctx.Trace($"wrote {output}");
    }
}
