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
/// plan. Sizes are the exported file's; top-1 (classifiers with labelled --eval data) or the output's mean cosine against
/// float (other models) is ONNX Runtime's on the --eval data (null without it); latencies (latency budgets only) are
/// over float's, estimated from the per-layer table and measured in ONNX Runtime.</summary>
internal sealed record SearchPoint(string Name, string Formats, long EstimatedBytes, long Bytes, double SizeRatio, double BopsRatio, double EstimatedLoss,
    double? Top1, double? Drop, IReadOnlyDictionary<string, string> Assignment)
{
    public double? Cosine { get; init; }
    public double? EstimatedLatencyRatio { get; init; }
    public double? LatencyRatio { get; init; }
}

/// <summary>JSON result of <c>lowbit search</c> (docs/cli.md).</summary>
internal sealed record SearchResult(string Command, string Model, string Out, string Recipe, string Method, string BudgetKind, double Budget, long? BudgetBytes,
    string Data, long Samples, string? Eval, long? EvalSamples, string? Metric, double? FloatTop1, double? FloatLatencyMs, SearchPoint Chosen, SearchPoint? Greedy,
    IReadOnlyList<SearchPoint> Uniform, IReadOnlyList<SearchPoint> Front, IReadOnlyList<string> Warnings, double Seconds)
{
    /// <summary>The per-layer, per-format ONNX Runtime timings (latency budgets only).</summary>
    public LatencyTable? Latency { get; init; }
}

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
        var budget = new Option<string>("--budget") { Description = "size=R: the quantized file at most R × the float file (e.g. size=0.16); bops=R: the weighted layers' bit operations (MACs × weight bits × activation bits) at most R × float's; latency=R: ONNX Runtime latency (batch 1, --threads) at most R × float's, from a per-layer timing table", HelpName = "size=R|bops=R|latency=R", Required = true };
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

    /// <summary>"size=0.16" → (Size, 0.16), "bops=0.1" → (Bops, 0.1), "latency=0.5" → (Latency, 0.5) (a usage error otherwise).</summary>
    internal static (BudgetKind, double) ParseBudget(string spec)
    {
        var parts = spec.Split('=', 2, StringSplitOptions.TrimEntries);
        BudgetKind? kind = parts[0] switch { "size" => BudgetKind.Size, "bops" => BudgetKind.Bops, "latency" => BudgetKind.Latency, _ => null };
        if (parts.Length != 2 || kind is null || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double r) || !(r > 0) || !double.IsFinite(r))
            throw new LowBitException(ErrorKind.Usage, $"--budget {spec}: expected size=R, bops=R or latency=R with R > 0, a fraction of the float model's file size, bit operations or latency (e.g. size=0.16)");
        return (kind.Value, r);
    }

    private static int Execute(CliContext ctx, SearchOptions o, ParseResult pr, SearchRequest req)
    {
        var clock = Stopwatch.StartNew();
        var (kind, ratio) = ParseBudget(req.Budget);
        var chosenMethod = req.Method is string m ? QuantizeOptions.Flag("--method", m, SensitivityMethods.Parse) : (SensitivityMethod?)null;
        if (chosenMethod is SensitivityMethod gm && SensitivityMethods.IsGradient(gm))
            throw new LowBitException(ErrorKind.Usage, $"--method {SensitivityMethods.Name(gm)}: search sums output-based scores (sqnr, kl, loss, lrp); see lowbit sensitivity for the second-order ones");
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
        var warnings = new List<string>();

        var result = ProgressDisplay.Run(ctx, p =>
        {
            var options = new SensitivityOptions
            {
                Threads = s.Threads, Cancellation = ctx.Cancellation,
                Progress = new Progress<(string Phase, long Done, long Total)>(x => p.Report(x.Phase, x.Done, x.Total)),
                Relevance = chosenMethod == SensitivityMethod.Lrp ? SensitivityCommand.Relevance(ctx, s, p) : null,
            };
            var table = LayerSensitivity.Measure(s.Graph, s.BaseConfig, s.Choices, s.Calibration, s.Batches, options);
            var method = chosenMethod ?? SensitivityMethods.Default(table);
            var judge = new SearchJudge(ctx, s, table, eval, req.EvalSamples, p, timeLatency: kind == BudgetKind.Latency);
            long budget = (long)Math.Floor(ratio * new FileInfo(model).Length);
            var order = s.Choices.Keys.ToList();
            List<SearchPoint> Uniform() => table.Uniform.Select(u => judge.Measure($"all {u.Format}", MixedPrecision.Uniform(table, u.Format, method), order)).ToList();
            var uniform = Uniform();
            if (kind == BudgetKind.Latency)
            {
                judge.CalibrateLatency(table.Uniform.Select((u, i) => (u.Format, uniform[i])));
                uniform = Uniform();   // measured once: only the calibrated estimates change
            }
            var latency = judge.Latency;
            var (plan, q, bytes) = kind switch
            {
                BudgetKind.Bops => Chosen(judge, MixedPrecision.AllocateBops(table, method, ratio * MixedPrecision.FloatBops(table), ctx.Cancellation)),
                BudgetKind.Latency => ChosenUnderLatency(judge, latency!, ratio, l => MixedPrecision.AllocateLatency(table, method, latency!, l, cancel: ctx.Cancellation), warnings),
                _ => ChosenUnderSize(judge, budget, b => MixedPrecision.Allocate(table, method, b, cancel: ctx.Cancellation), warnings),
            };
            var frontPlans = req.Front == 0 ? [] : MixedPrecision.Front(table, method, req.Front, ctx.Cancellation, latency);
            var frontPoints = frontPlans.Select((f, i) => judge.Measure($"front {i + 1}", f, order)).ToList();
            if (kind == BudgetKind.Latency && BetterMeasuredFront(plan, frontPlans, frontPoints, ratio) is int best)
            {
                plan = frontPlans[best];
                (q, bytes) = judge.Quantize(plan);
                judge.Timed(q.Graph, frontPoints[best].LatencyRatio!.Value);
                warnings.RemoveAll(w => w.StartsWith(OverLatency, StringComparison.Ordinal));
            }
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
            var chosen = judge.Point("chosen", plan, bytes, q.Graph, order);
            // The exact plan's estimated cost is reachable, so greedy at that budget is always feasible.
            var greedy = kind switch
            {
                BudgetKind.Size => judge.Measure("greedy, same estimated size", MixedPrecision.Allocate(table, method, plan.EstimatedBytes, exact: false), order),
                BudgetKind.Latency => judge.Measure("greedy, same estimated latency", MixedPrecision.AllocateLatency(table, method, latency!, latency!.Estimate(plan.Formats), exact: false), order),
                _ => null,
            };
            return new SearchResult("search", Format.FullPath(model), Format.FullPath(req.Out), Format.FullPath(recipePath), SensitivityMethods.Name(method),
                kind.ToString().ToLowerInvariant(), ratio, kind == BudgetKind.Size ? budget : null, s.Data.Name, table.Samples, eval?.Name, judge.EvalSamples, judge.Metric,
                judge.FloatTop1, latency is null ? null : Math.Round(latency.FloatMs, 4), chosen, greedy, uniform, frontPoints, warnings, Math.Round(clock.Elapsed.TotalSeconds, 2))
                { Latency = latency };
        });
        if (req.Report is not null) SearchReport.Write(req.Report, result, ctx);
        foreach (var w in result.Warnings) ctx.Warn(w);
        if (ctx.Json) ctx.WriteJson(result);
        else SearchPrinter.Print(ctx.Console, result);
        return ErrorBoundary.Ok;
    }

    private const string OverLatency = "the chosen model runs at";

    /// <summary>Boundary costs make the tightened plan slower or faster than estimated: the front point whose file measured
    /// within the budget with the lowest estimated loss, if that is lower than <paramref name="plan"/>'s.</summary>
    private static int? BetterMeasuredFront(MixedPlan plan, IReadOnlyList<MixedPlan> front, IReadOnlyList<SearchPoint> measured, double ratio)
    {
        int? best = null;
        for (int i = 0; i < front.Count; i++)
            if (measured[i].LatencyRatio <= ratio && front[i].EstimatedLoss < (best is int b ? front[b].EstimatedLoss : plan.EstimatedLoss)) best = i;
        return best;
    }

    private static (MixedPlan, QuantizedModel, long) Chosen(SearchJudge judge, MixedPlan plan)
    {
        var (q, bytes) = judge.Quantize(plan);
        return (plan, q, bytes);
    }

    /// <summary>The estimate misses a few hundred bytes of graph structure per override: tighten by what the file exceeded.</summary>
    private static (MixedPlan, QuantizedModel, long) ChosenUnderSize(SearchJudge judge, long budget, Func<long, MixedPlan> allocate, List<string> warnings)
    {
        var (plan, q, bytes) = Chosen(judge, allocate(budget));
        for (int retry = 0; retry < 3 && bytes > budget; retry++)
            (plan, q, bytes) = Chosen(judge, allocate(budget - (bytes - plan.EstimatedBytes)));
        if (bytes > budget) warnings.Add($"the chosen model's file is {bytes} bytes, over the {budget}-byte budget by {bytes - budget}");
        return (plan, q, bytes);
    }

    /// <summary>The additive latency model misses boundary Q/DQ costs and fusions: time the chosen file side by side with
    /// float and, while it is over the budget, tighten the estimate's budget by the overshoot (at most 3 times).</summary>
    private static (MixedPlan, QuantizedModel, long) ChosenUnderLatency(SearchJudge judge, LatencyTable latency, double ratio, Func<double, MixedPlan> allocate, List<string> warnings)
    {
        double budgetMs = ratio * latency.FloatMs;
        var (plan, q, bytes) = Chosen(judge, allocate(budgetMs));
        double measured = judge.LatencyRatio(q.Graph, "chosen");
        for (int retry = 0; retry < 3 && measured > ratio; retry++)
        {
            budgetMs -= (measured - ratio) * latency.FloatMs;
            MixedPlan next;
            try { next = allocate(budgetMs); }
            catch (LowBitException) { break; }
            (plan, q, bytes) = Chosen(judge, next);
            measured = judge.LatencyRatio(q.Graph, "chosen");
        }
        if (measured > ratio) warnings.Add($"{OverLatency} {measured:0.###}× float's latency in ONNX Runtime, over the {ratio}× budget");
        return (plan, q, bytes);
    }
}
