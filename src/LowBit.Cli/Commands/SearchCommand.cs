using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Onnx;
using LowBit.Quantization;
using LowBit.Quantization.Search;

namespace LowBit.Cli.Commands;

/// <summary>One measured configuration of <c>lowbit search</c>: float, a uniform format, a point of the front, the chosen
/// plan. Sizes are the exported file's; accuracy is ONNX Runtime's on the --eval data (null without it).</summary>
internal sealed record SearchPoint(string Name, string Formats, long EstimatedBytes, long Bytes, double SizeRatio, double BopsRatio, double EstimatedLoss,
    double? Top1, double? Drop, IReadOnlyDictionary<string, string> Assignment);

/// <summary>JSON result of <c>lowbit search</c> (docs/cli.md).</summary>
internal sealed record SearchResult(string Command, string Model, string Out, string Recipe, string Method, string BudgetKind, double Budget, long? BudgetBytes,
    string Data, long Samples, string? Eval, long? EvalSamples, double? FloatTop1, SearchPoint Chosen, SearchPoint? Greedy,
    IReadOnlyList<SearchPoint> Uniform, IReadOnlyList<SearchPoint> Front, IReadOnlyList<string> Warnings, double Seconds);

/// <summary>
/// <c>lowbit search MODEL --data SPEC --budget size=R [--formats int8,int4,float] [--eval SPEC] --out FILE</c>: per-layer
/// formats under a file-size budget (issue 11 part 2). Measures every layer's sensitivity to every format
/// (<see cref="LayerSensitivity"/>), solves the allocation exactly (<see cref="MixedPrecision"/>: branch and bound; greedy
/// beside it), writes the model and its recipe (reapply with <c>lowbit quantize --recipe</c>), and measures the chosen
/// plan, the uniform formats and the Pareto front in ONNX Runtime on the --eval data.
/// </summary>
internal static class SearchCommand
{
    public const int DefaultFront = 6;

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var o = new SearchOptions();
        var budget = new Option<string>("--budget") { Description = "size=R: the quantized file at most R × the float file (e.g. size=0.16); bops=R: the weighted layers' bit operations (MACs × weight bits × activation bits) at most R × float's", HelpName = "size=R|bops=R", Required = true };
        var method = new Option<string?>("--method", "-m") { Description = $"Sensitivity that is summed and minimized: {string.Join(", ", SensitivityMethods.Names)} (default kl for classifiers, else sqnr)", HelpName = "M" };
        var eval = new Option<string?>("--eval", "--eval-data") { Description = "Labelled held-out data the results are measured on in ONNX Runtime (accuracy of float, uniform, front and chosen)", HelpName = "SPEC" };
        var evalSamples = CommonOptions.AtLeast("--eval-samples", 1, "Samples of --eval (default all)");
        var front = new Option<int>("--front") { Description = $"Points of the Pareto front to quantize and measure (default {DefaultFront}; 0: none)", DefaultValueFactory = _ => DefaultFront };
        var output = new Option<string>("--out", "-o") { Description = "Where to write the chosen model (+ manifest); its recipe goes to FILE.recipe.json", HelpName = "FILE", Required = true };
        var force = CommonOptions.Force();
        var report = new Option<string?>("--report") { Description = "Also write search.json, search.md (the table) and front.png (size against measured drop) into this new or empty folder", HelpName = "DIR" };
        var cmd = new Command("search", "Choose a format per layer under a size budget from measured sensitivities (exact integer program), write the model and its recipe");
        foreach (var s in o.All) SensitivityCommand.Add(cmd, s);
        foreach (var s in new Symbol[] { budget, method, eval, evalSamples, front, output, force, report }) SensitivityCommand.Add(cmd, s);
        cmd.SetAction(pr => Execute(context(pr), o, pr, new SearchRequest(pr.GetValue(budget)!, pr.GetValue(method), pr.GetValue(eval),
            pr.GetValue(evalSamples), pr.GetValue(front), pr.GetValue(output)!, pr.GetValue(force), pr.GetValue(report))));
        return cmd;
    }

    private sealed record SearchRequest(string Budget, string? Method, string? Eval, int? EvalSamples, int Front, string Out, bool Force, string? Report);

    /// <summary>"size=0.16" → (Size, 0.16), "bops=0.1" → (Bops, 0.1) (a usage error otherwise).</summary>
    internal static (BudgetKind, double) ParseBudget(string spec)
    {
        var parts = spec.Split('=', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts[0] is not ("size" or "bops") || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double r) || !(r > 0))
            throw new LowBitException(ErrorKind.Usage, $"--budget {spec}: expected size=R or bops=R with R > 0, a fraction of the float model's file size or bit operations (e.g. size=0.16)");
        return (parts[0] == "bops" ? BudgetKind.Bops : BudgetKind.Size, r);
    }

    private static int Execute(CliContext ctx, SearchOptions o, ParseResult pr, SearchRequest req)
    {
        var clock = Stopwatch.StartNew();
        var (kind, ratio) = ParseBudget(req.Budget);
        var chosenMethod = req.Method is string m ? QuantizeOptions.Flag("--method", m, SensitivityMethods.Parse) : (SensitivityMethod?)null;
        if (chosenMethod is SensitivityMethod gm && SensitivityMethods.IsGradient(gm))
            throw new LowBitException(ErrorKind.Usage, $"--method {SensitivityMethods.Name(gm)}: search sums output-based scores (sqnr, kl, loss); see lowbit sensitivity for the gradient ones");
        if (req.Front < 0) throw new LowBitException(ErrorKind.Usage, $"--front {req.Front}: must be ≥ 0");
        string recipePath = Path.ChangeExtension(req.Out, null) + ".recipe.json";
        string model = pr.GetValue(o.Model)!;
        if (OutputFiles.SamePath(model, req.Out))
            throw new LowBitException(ErrorKind.UnsafePath, $"--out {req.Out}: is the input model; choose another path (the float model is never overwritten)");
        OutputFiles.CheckModel("--out", req.Out, req.Force, [model]);
        OutputFiles.CheckFile("--out recipe", recipePath, [model]);
        if (req.Report is not null) OutputFiles.CheckFolder("--report", req.Report);
        var s = o.Open(ctx, pr);
        var eval = req.Eval is null ? null : ModelData.Open(req.Eval, s.Input, "--eval");
        if (eval is { HasLabels: false }) throw new LowBitException(ErrorKind.Usage, $"--eval {req.Eval}: {eval.Name} has no labels; accuracy needs them");
        var warnings = new List<string>();

        var result = ProgressDisplay.Run(ctx, p =>
        {
            var options = new SensitivityOptions
            {
                Threads = s.Threads, Cancellation = ctx.Cancellation,
                Progress = new Progress<(string Phase, long Done, long Total)>(x => p.Report(x.Phase, x.Done, x.Total)),
            };
            var table = LayerSensitivity.Measure(s.Graph, s.BaseConfig, s.Choices, s.Calibration, s.Batches, options);
            var method = chosenMethod ?? SensitivityMethods.Default(table);
            var judge = new SearchJudge(ctx, s, table, eval, req.EvalSamples, p);
            long budget = (long)Math.Floor(ratio * new FileInfo(model).Length);
            var plan = kind == BudgetKind.Bops ? MixedPrecision.AllocateBops(table, method, ratio * MixedPrecision.FloatBops(table), ctx.Cancellation)
                : MixedPrecision.Allocate(table, method, budget, cancel: ctx.Cancellation);
            var (q, bytes) = judge.Quantize(plan);
            // The estimate misses a few hundred bytes of graph structure per override; tighten by what the file exceeded.
            for (int retry = 0; kind == BudgetKind.Size && retry < 3 && bytes > budget; retry++)
            {
                plan = MixedPrecision.Allocate(table, method, budget - (bytes - plan.EstimatedBytes), cancel: ctx.Cancellation);
                (q, bytes) = judge.Quantize(plan);
            }
            if (kind == BudgetKind.Size && bytes > budget) warnings.Add($"the chosen model's file is {bytes} bytes, over the {budget}-byte budget by {bytes - budget}");
            var recipe = MixedPrecision.Recipe(plan, s.Choices);
            ctx.ThrowIfCancelled();
            q.Save(req.Out, model);
            try
            {
                AtomicFile.WriteAllText(recipePath, recipe.ToJson());
                ExportCheck.Run("--out", req.Out, ModelData.CheckInputs(s.Graph, s.Input, null), s.Threads, [QuantizedModel.ManifestPathFor(req.Out)]);
            }
            catch
            {
                OutputFiles.Remove(req.Out, QuantizedModel.ManifestPathFor(req.Out), recipePath);
                throw;
            }
            var order = s.Choices.Keys.ToList();
            var chosen = judge.Point("chosen", plan, bytes, q.Graph, order);
            // The exact plan's estimated size is reachable, so greedy at that budget is always feasible.
            var greedy = kind == BudgetKind.Size
                ? judge.Measure("greedy, same estimated size", MixedPrecision.Allocate(table, method, plan.EstimatedBytes, exact: false), order) : null;
            var uniform = table.Uniform.Select(u => judge.Measure($"all {u.Format}", MixedPrecision.Uniform(table, u.Format, method), order)).ToList();
            var frontPoints = req.Front == 0 ? [] : MixedPrecision.Front(table, method, req.Front, ctx.Cancellation)
                .Select((f, i) => judge.Measure($"front {i + 1}", f, order)).ToList();
            return new SearchResult("search", Format.FullPath(model), Format.FullPath(req.Out), Format.FullPath(recipePath), SensitivityMethods.Name(method),
                kind == BudgetKind.Bops ? "bops" : "size", ratio, kind == BudgetKind.Size ? budget : null, s.Data.Name, table.Samples, eval?.Name, judge.EvalSamples, judge.FloatTop1, chosen, greedy, uniform, frontPoints,
                warnings, Math.Round(clock.Elapsed.TotalSeconds, 2));
        });
        if (req.Report is not null) SearchReport.Write(req.Report, result, ctx);
        foreach (var w in result.Warnings) ctx.Warn(w);
        if (ctx.Json) ctx.WriteJson(result);
        else SearchPrinter.Print(ctx.Console, result);
        return ErrorBoundary.Ok;
    }
}
