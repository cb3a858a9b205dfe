using System.CommandLine;
using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Onnx;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>JSON result of <c>lowbit run</c> (docs/cli.md).</summary>
internal sealed record RunResult(
    string Command, string Model, string Engine, int Threads, double Milliseconds,
    IReadOnlyList<InputReport> Inputs, IReadOnlyList<TensorSummary> Outputs);

/// <summary><c>lowbit run MODEL [--input NAME=FILE.npy]... [--random [--seed N] [--dim NAME=SIZE|POS:SIZE|INPUT:POS:SIZE]...] [--engine lowbit|ort]
/// [--threads N] [--output DIR]</c>: runs the model once and summarises or saves every output.</summary>
internal static class RunCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var model = CommonOptions.Model();
        var inputs = CommonOptions.Inputs();
        var random = CommonOptions.Random();
        var seed = CommonOptions.Seed();
        var dims = CommonOptions.Dims();
        var engine = CommonOptions.Engine(both: false, defaultValue: Engines.LowBit);
        var threads = CommonOptions.Threads();
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Folder to write <output name>.npy per output (created if missing; files replaced atomically)",
            HelpName = "DIR",
        };
        var cmd = new Command("run", "Run a model once on .npy or random inputs; summarise or save its outputs")
        {
            model, inputs, random, seed, dims, engine, threads, output,
        };
        cmd.SetAction(pr => Execute(context(pr), pr.GetValue(model)!,
            new InputRequest(pr.GetValue(inputs) ?? [], pr.GetValue(random), pr.GetValue(seed), pr.GetValue(dims) ?? []),
            pr.GetValue(engine)!, pr.GetValue(threads), pr.GetValue(output)));
        return cmd;
    }

    private static int Execute(CliContext ctx, string modelPath, InputRequest request, string engineName, int threads, string? outputDir)
    {
        ctx.Trace($"loading {modelPath}");
        var graph = OnnxImporter.Load(modelPath);
        var tensors = ModelInputs.Build(graph, request, out var inputReports);
        var plan = outputDir is null ? null
            : OutputFiles.Plan(outputDir, graph.Outputs.Select(o => o.Name), inputReports.Select(i => i.File).OfType<string>().Append(modelPath));
        ctx.ThrowIfCancelled();

        using var engine = Engines.Create(engineName, graph, modelPath, threads);
        ctx.Trace($"running on {Engines.DisplayName(engine.Name)}");
        var sw = Stopwatch.StartNew();
        var results = engine.Run(tensors);
        sw.Stop();
        ctx.ThrowIfCancelled();

        var summaries = new List<TensorSummary>();
        // All outputs or none: a cancel or failure between files removes the ones already written (and the folder if new).
        var written = new List<string>();
        var folders = new NewFolders();
        try
        {
            if (outputDir is not null) folders.Create(outputDir);
            foreach (var o in graph.Outputs)
            {
                var t = results[o.Name];
                string? file = null;
                if (plan is not null)
                {
                    ctx.ThrowIfCancelled();
                    file = plan[o.Name];
                    OutputFiles.Write(file, t, ctx);
                    written.Add(file);
                }
                summaries.Add(TensorSummary.Of(o.Name, t, Format.FullPath(file)));
            }
        }
        catch
        {
            OutputFiles.Remove([.. written]);
            folders.RemoveAll();
            throw;
        }
        var result = new RunResult("run", Format.FullPath(modelPath), engine.Name, threads, sw.Elapsed.TotalMilliseconds, inputReports, summaries);
        if (ctx.Json) ctx.WriteJson(result);
        else Print(ctx, result);
        return ErrorBoundary.Ok;
    }

    private static void Print(CliContext ctx, RunResult r)
    {
        var c = ctx.Console;
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/] ran on {Engines.DisplayName(r.Engine)} ({r.Threads} thread{(r.Threads == 1 ? "" : "s")}) in {Format.Ms(r.Milliseconds)} ms");
        foreach (var i in r.Inputs)
            c.MarkupLine($"  input  {Markup.Escape(i.Name)} {i.Dtype} {Markup.Escape(Format.Shape(i.Shape))} from {Markup.Escape(i.File is string f ? Format.Shown(f) : $"random data (seed {i.Seed})")}");
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in new[] { "output", "dtype", "shape", "min", "max", "mean", "first values" }) table.AddColumn(h);
        foreach (var o in r.Outputs)
        {
            string first = string.Join(" ", o.First.Select(Format.Value)) + (o.Shape.Aggregate(1L, (a, d) => a * d) > o.First.Length ? " …" : "");
            string mean = Format.Number(o.Mean) + (o.NanCount > 0 ? $" ({o.NanCount} NaN)" : "");
            table.AddRow(Markup.Escape(o.Name), o.Dtype, Markup.Escape(Format.Shape(o.Shape)), Format.Number(o.Min), Format.Number(o.Max),
                Markup.Escape(mean), Markup.Escape(first));
        }
        c.Write(table);
        foreach (var o in r.Outputs)
            if (o.File is not null) c.MarkupLine($"wrote {Markup.Escape(Format.Shown(o.File))}");
    }
}
