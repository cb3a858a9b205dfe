using System.CommandLine;
using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Onnx;
using LowBit.Reports;
using LowBit.Reports.Metrics;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>One compared output of <c>lowbit eval --reference</c>.</summary>
internal sealed record FidelityOutput(string Name, long Samples, double SqnrDb, double CosineMean, double CosineGlobal, double MaxAbsError,
    double? Top1Agreement, double? Top5Agreement, double? KlDivergence, long NonFinite)
{
    public static FidelityOutput Of(OutputFidelity o) => new(o.Name, o.Samples, o.SqnrDb, o.CosineMean, o.CosineGlobal, o.MaxAbsError,
        o.Top1Agreement, o.Top5Agreement, o.KlDivergence, o.NonFinite);
}

/// <summary>Both models' accuracy with labels, and the change (test − reference, in fractions).</summary>
internal sealed record FidelityAccuracy(double ReferenceTop1, double Top1, double Top1Delta, double? ReferenceTop5, double? Top5, double? Top5Delta)
{
    public static FidelityAccuracy? Of(AccuracyComparison? a) => a is null ? null
        : new(a.Reference.Top1, a.Test.Top1, a.Top1Delta, a.Reference.Top5, a.Test.Top5, a.Top5Delta);
}

/// <summary>JSON result of <c>lowbit eval MODEL --reference REF</c> (docs/cli.md).</summary>
internal sealed record EvalFidelityResult(string Command, string Mode, string Model, string Reference, string Engine, string ReferenceEngine,
    string Dataset, int Threads, long Samples, double Seconds, IReadOnlyList<FidelityOutput> Outputs, FidelityAccuracy? Accuracy,
    IReadOnlyList<string> Warnings);

/// <summary>
/// The fidelity mode of <c>lowbit eval</c>: <c>--reference FLOAT.onnx</c> compares the model's outputs with the reference's
/// on the same data, label-free (<see cref="Fidelity.Evaluate(IModelRunner, IModelRunner, LowBit.Data.Dataset, FidelityOptions?, IProgress{EvalProgress}?)"/>):
/// top-1/top-5 agreement, cosine, SQNR, KL, max error; with labelled data also both accuracies and the change. Each model
/// runs on its own engine (<c>--engine</c> for the model, <c>--reference-engine</c> for the reference, default the same).
/// A reference with several inputs takes a multi-input spec instead, one call per sample (<see cref="EvalFidelityMulti"/>).
/// </summary>
internal sealed class EvalFidelity
{
    public Option<string?> Reference { get; } = new("--reference", "-r")
    {
        Description = "Fidelity mode: compare with this (float) model on the same data, no labels needed (agreement, cosine, SQNR, KL; accuracy of both with labels)",
        HelpName = "FILE",
    };

    public Option<string?> ReferenceEngine { get; } = new Option<string?>("--reference-engine")
    {
        Description = "Engine of the --reference model: lowbit or ort (default: as --engine)",
        HelpName = "ENGINE",
    }.AcceptOnlyFromAmong(Engines.LowBit, Engines.Ort);

    /// <summary>Adds the fidelity options to <c>eval</c>, and <c>--data</c> as another name of its data option.</summary>
    public static EvalFidelity Attach(Command eval, Option<string> dataset)
    {
        var f = new EvalFidelity();
        eval.Add(f.Reference);
        eval.Add(f.ReferenceEngine);
        dataset.Aliases.Add("--data");
        return f;
    }

    public bool Requested(ParseResult pr) => pr.GetValue(Reference) is not null;

    public int Execute(CliContext ctx, ParseResult pr, EvalRequest req)
    {
        string reference = pr.GetValue(Reference)!;
        string refEngine = pr.GetValue(ReferenceEngine) ?? req.Engine;
        if (Path.GetFullPath(reference) == Path.GetFullPath(req.Model))
            ctx.Warn($"--reference {reference} is the model itself; every metric will be exact");
        ctx.Trace($"loading {req.Model} and {reference}");
        var graph = OnnxImporter.Load(req.Model);
        var refGraph = OnnxImporter.Load(reference);
        var evaluate = refGraph.RealInputs.Skip(1).Any()
            ? EvalFidelityMulti.Prepare(ctx, req, graph, reference, refGraph)
            : PrepareSingle(ctx, req, graph, reference, refGraph);

        var clock = Stopwatch.StartNew();
        using var test = QuantReportBuilder.Runner(req.Engine, graph, req.Model, req.Threads);
        using var refRunner = QuantReportBuilder.Runner(refEngine, refGraph, reference, req.Threads);
        var report = ProgressDisplay.Run(ctx, p => evaluate(test.Runner, refRunner.Runner, PhaseProgress.Eval(p)));
        var result = new EvalFidelityResult("eval", "fidelity", Format.FullPath(req.Model), Format.FullPath(reference), req.Engine, refEngine, report.Data, req.Threads, report.Samples,
            Math.Round(clock.Elapsed.TotalSeconds, 3), report.Outputs.Select(FidelityOutput.Of).ToList(), FidelityAccuracy.Of(report.Accuracy), report.Warnings);
        foreach (var w in result.Warnings) ctx.Warn(w);
        if (ctx.Json) ctx.WriteJson(result);
        else Print(ctx.Console, result);
        return ErrorBoundary.Ok;
    }

    /// <summary>A single-input reference: the spec as a <see cref="LowBit.Data.Dataset"/> in batches (labels used when it has them).</summary>
    private static Func<IModelRunner, IModelRunner, IProgress<EvalProgress>, FidelityReport> PrepareSingle(CliContext ctx, EvalRequest req,
        Graph.Graph graph, string reference, Graph.Graph refGraph)
    {
        var input = ModelData.SingleInput(refGraph, reference);
        ModelData.CheckSameInput(input, reference, graph, req.Model);
        var data = ModelData.Open(req.Dataset, input, "--dataset");
        foreach (var w in DataSanity.Check(req.Model, data, input.Name, req.Dataset)) ctx.Warn(w);
        int batch = ModelData.BatchFor(input, req.Batch ?? EvalCommand.DefaultBatch);
        if (req.Batch is int wanted && wanted != batch)
            throw new LowBitException(ErrorKind.Usage, $"--batch {wanted}: model input '{input.Name}' {input.ShapeString} has a fixed batch of {batch}");
        return (test, refRunner, progress) => Fidelity.Evaluate(test, refRunner, data,
            new FidelityOptions { BatchSize = batch, MaxSamples = req.Limit }, progress);
    }

    private static void Print(IAnsiConsole c, EvalFidelityResult r)
    {
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/] ({Engines.DisplayName(r.Engine)}) against [bold]{Markup.Escape(Format.Shown(r.Reference))}[/] " +
                     $"({Engines.DisplayName(r.ReferenceEngine)}) on {Markup.Escape(r.Dataset)} ({r.Samples:N0} samples), {r.Seconds:0.0} s");
        var t = new Table().Border(TableBorder.Rounded).AddColumn("output");
        foreach (var h in new[] { "SQNR dB", "cosine (mean)", "cosine (global)", "max |error|", "top-1 agree", "top-5 agree", "KL (nats)" })
            t.AddColumn(new TableColumn(h).RightAligned());
        static string P(double? v) => v is double d ? $"{100 * d:0.00} %" : "-";
        foreach (var o in r.Outputs)
            t.AddRow(Markup.Escape(o.Name), Format.Number(Math.Round(o.SqnrDb, 2)), o.CosineMean.ToString("0.000000"), o.CosineGlobal.ToString("0.000000"),
                Format.Number(o.MaxAbsError), P(o.Top1Agreement), P(o.Top5Agreement), o.KlDivergence is double kl ? kl.ToString("0.00000") : "-");
        c.Write(t);
        if (r.Accuracy is { } a)
            c.MarkupLine($"accuracy: reference top-1 {P(a.ReferenceTop1)}, model top-1 [bold]{P(a.Top1)}[/] ({100 * a.Top1Delta:+0.00;-0.00} points)" +
                         (a.Top5 is double t5 ? $"; top-5 {P(a.ReferenceTop5)} → {P(t5)}" : ""));
    }
}
