using System.CommandLine;
using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Quantization;
using LowBit.Quantization.Prepare;
using LowBit.Quantization.Search;
using LowBit.Reports;

namespace LowBit.Cli.Commands;

/// <summary>Spearman ρ of one method's scores against the measured single-layer drops, for one format.</summary>
internal sealed record MethodAgreement(string Method, string Format, int Layers, double? RhoTop1, double? RhoLoss);

/// <summary>JSON result of <c>lowbit sensitivity</c> (docs/cli.md).</summary>
internal sealed record SensitivityResult(string Command, string Model, string Data, long Samples, IReadOnlyList<string> Formats,
    IReadOnlyList<string> Methods, IReadOnlyList<LayerScore> Layers, IReadOnlyList<UniformScore> Uniform, string? Eval, long? EvalSamples,
    IReadOnlyList<LayerScore>? Measured, IReadOnlyList<MethodAgreement>? Agreement, IReadOnlyList<PairScore> Pairs, double Seconds);

/// <summary>
/// <c>lowbit sensitivity MODEL --data SPEC [--formats int4] [--method sqnr,kl,loss,fisher,hessian,lrp|all] [--eval SPEC]</c>:
/// per-layer sensitivity to each format (<see cref="LayerSensitivity"/>; gradient methods from <see cref="GradientSensitivity"/> and <see cref="LayerRelevance"/>),
/// most sensitive first. With <c>--eval</c> (labelled held-out data) it also measures each layer's single-layer top-1 drop and
/// loss increase there and reports how well each method's ranking agrees with them (Spearman ρ).
/// </summary>
internal static class SensitivityCommand
{
    public const int DefaultEvalSamples = 2000;
    public const int DefaultProbes = 8;

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var o = new SearchOptions();
        o.Formats.DefaultValueFactory = _ => "int4";
        var method = new Option<string>("--method", "-m") { Description = $"Scores to compute, comma-separated: {string.Join(", ", SensitivityMethods.Names)}, or all (default sqnr,kl, plus loss on labelled data)", HelpName = "M,..." };
        var eval = new Option<string?>("--eval", "--eval-data") { Description = "Labelled held-out data: also measure each layer's single-layer drop there and the rank agreement of every method", HelpName = "SPEC" };
        var evalSamples = CommonOptions.AtLeast("--eval-samples", 1, $"Samples of --eval (default {DefaultEvalSamples})");
        var probes = CommonOptions.AtLeast("--probes", 1, $"Hutchinson probes of the hessian method (default {DefaultProbes})");
        var pairs = new Option<bool>("--pairs") { Description = "Also measure each pair of consecutive weighted layers quantized together: the inter-layer dependency (joint noise minus the sum)" };
        var rows = CommonOptions.AtLeast("--rows", 1, $"Rows of the printed table (default {CompareCommand.DefaultRows}; --json lists all)");
        var cmd = new Command("sensitivity", "Per-layer sensitivity to each candidate format (output SQNR, KL, loss, Fisher, Hessian trace, LRP relevance), most sensitive first");
        foreach (var s in o.All) Add(cmd, s);
        foreach (var s in new Symbol[] { method, eval, evalSamples, probes, pairs, rows }) Add(cmd, s);
        cmd.SetAction(pr => Execute(context(pr), o, pr, pr.GetValue(method), pr.GetValue(eval), pr.GetValue(evalSamples) ?? DefaultEvalSamples,
            pr.GetValue(probes) ?? DefaultProbes, pr.GetValue(pairs), pr.GetValue(rows) ?? CompareCommand.DefaultRows));
        return cmd;
    }

    internal static void Add(Command cmd, Symbol s)
    {
        if (s is Argument a) cmd.Add(a);
        else cmd.Add((Option)s);
    }

    private static int Execute(CliContext ctx, SearchOptions o, ParseResult pr, string? methodList, string? evalSpec, int evalSamples, int probes, bool pairs, int rows)
    {
        var clock = Stopwatch.StartNew();
        var s = o.Open(ctx, pr);
        bool labelled = s.Data.HasLabels;
        var methods = methodList is null ? [SensitivityMethod.Sqnr, SensitivityMethod.Kl, .. labelled ? new[] { SensitivityMethod.Loss } : []]
            : methodList.Trim() == "all" ? Enum.GetValues<SensitivityMethod>().ToList()
            : methodList.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(m => QuantizeOptions.Flag("--method", m, SensitivityMethods.Parse)).Distinct().ToList();
        var eval = evalSpec is null ? null : ModelData.Open(evalSpec, s.Input, "--eval");
        if (eval is { HasLabels: false }) throw new LowBitException(ErrorKind.Usage, $"--eval {evalSpec}: {eval.Name} has no labels; the single-layer drops need them");

        var (table, measured) = ProgressDisplay.Run(ctx, p =>
        {
            var gradients = methods.Any(m => m is SensitivityMethod.Fisher or SensitivityMethod.Hessian) ? Gradients(ctx, s, probes, p) : null;
            var relevance = methods.Contains(SensitivityMethod.Lrp) ? Relevance(ctx, s, p) : null;
            var options = new SensitivityOptions
            {
                Threads = s.Threads, Cancellation = ctx.Cancellation, Gradients = gradients, Relevance = relevance, Pairs = pairs,
                Progress = new Progress<(string Phase, long Done, long Total)>(x => p.Report(x.Phase, x.Done, x.Total)),
            };
            var t = LayerSensitivity.Measure(s.Graph, s.BaseConfig, s.Choices, s.Calibration, s.Batches, options);
            SensitivityTable? m = null;
            if (eval is not null)
            {
                var batches = EvalData.Batches(eval, s.Input.Name, s.Batches[0].Size, evalSamples).ToList();
                m = LayerSensitivity.Measure(s.Graph, s.BaseConfig, s.Choices, s.Calibration, batches, options with { Gradients = null, Relevance = null, Pairs = false });
            }
            return (t, m);
        });
        var agreement = measured is null ? null : Agreement(table, measured, methods);
        var result = new SensitivityResult("sensitivity", Format.FullPath(s.ModelPath), s.Data.Name, table.Samples, table.Formats,
            methods.Select(SensitivityMethods.Name).ToList(), table.Rows, table.Uniform, eval?.Name, measured?.Samples, measured?.Rows, agreement, table.Pairs,
            Math.Round(clock.Elapsed.TotalSeconds, 2));
        if (ctx.Json) ctx.WriteJson(result);
        else SensitivityPrinter.Print(ctx.Console, result, methods, rows);
        return ErrorBoundary.Ok;
    }

    /// <summary>Fisher diagonal and Hessian traces of the weights on the sensitivity batches (labels when the data has them).</summary>
    private static GradientStats Gradients(CliContext ctx, SearchInputs s, int probes, IPhaseProgress p)
    {
        const string targets = "lowbit:targets";
        var prepared = GraphPreparation.Run(s.Graph).Graph;
        var weights = prepared.Nodes.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul" or "ConvTranspose" && n.Inputs.Count > 1
            && prepared.Initializers.TryGetValue(n.Inputs[1], out var w) && w.DType == Tensors.DType.Float32).Select(n => n.Inputs[1]).Distinct().ToList();
        bool labelled = s.Batches.All(b => b.Labels is not null);
        var batches = s.Batches.Select(b => labelled
            ? (IReadOnlyDictionary<string, Tensors.Tensor>)new Dictionary<string, Tensors.Tensor>(b.Inputs) { [targets] = b.Labels! } : b.Inputs).ToList();
        return GradientSensitivity.Compute(prepared, weights, batches, labelled ? targets : null, probes, seed: 0, s.Threads,
            new Progress<(long Done, long Total)>(x => p.Report("gradients", x.Done, x.Total)), ctx.Cancellation);
    }

    /// <summary>Layer relevances (LRP-0, gradient × activation) of the predicted class's logit on the sensitivity batches: LRP
    /// explains the model's decision, so labels are not used even when the data has them.</summary>
    internal static RelevanceStats Relevance(CliContext ctx, SearchInputs s, IPhaseProgress p) =>
        LayerRelevance.Compute(GraphPreparation.Run(s.Graph).Graph, s.Batches.Select(b => b.Inputs).ToList(), null, s.Threads,
            new Progress<(long Done, long Total)>(x => p.Report("relevance", x.Done, x.Total)), ctx.Cancellation);

    /// <summary>Per format and method: ρ of the scores against the measured top-1 drop and loss increase, over the layers with
    /// weights (the others score near zero everywhere and would make any ranking look good).</summary>
    private static List<MethodAgreement> Agreement(SensitivityTable t, SensitivityTable measured, IReadOnlyList<SensitivityMethod> methods)
    {
        var list = new List<MethodAgreement>();
        foreach (var f in t.Formats.Where(f => f != FormatChoice.FloatName))
            foreach (var m in methods)
            {
                var pairs = t.Rows.Where(r => r.Format == f && r.Parameters > 0 && r.Score(m) is not null)
                    .Select(r => (Score: r.Score(m)!.Value, Measured: measured.Row(r.Node, f))).Where(x => x.Measured is not null).ToList();
                double? Rho(Func<LayerScore, double?> pick)
                {
                    var ok = pairs.Where(x => pick(x.Measured!) is not null).ToList();
                    double rho = RankCorrelation.Spearman(ok.Select(x => x.Score).ToList(), ok.Select(x => pick(x.Measured!)!.Value).ToList());
                    return double.IsNaN(rho) ? null : Math.Round(rho, 4);
                }
                list.Add(new MethodAgreement(SensitivityMethods.Name(m), f, pairs.Count, Rho(r => r.Top1Drop), Rho(r => r.LossIncrease)));
            }
        return list;
    }
}
