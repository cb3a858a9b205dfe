using System.CommandLine;
using System.Diagnostics;
using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Graph;
using LowBit.Nn.Training;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Cli.Commands;

/// <summary>What <c>lowbit eval</c> measures. Each task has its own data reader, accumulator and report section, so a
/// label-free mode (fidelity against a <c>--reference</c> model) is one more member, one more Evaluate method and one
/// more nullable section in <see cref="EvalResult"/>.</summary>
internal enum EvalTask
{
    Classification,
    LanguageModel,
}

/// <summary>JSON result of <c>lowbit eval</c> (docs/cli.md). Exactly one task section is set.</summary>
internal sealed record EvalResult(
    string Command, string Model, string Engine, string Dataset, string Task, int Threads, int Batch, int Samples,
    double Seconds, double SamplesPerSecond, ClassificationMetrics? Classification, LanguageModelMetrics? LanguageModel);

internal sealed record EvalRequest(string Model, string Dataset, string Engine, int? Batch, int Threads, int? Limit);

/// <summary>
/// <c>lowbit eval MODEL --dataset SPEC [--engine lowbit|ort] [--batch N] [--threads N] [--limit N]</c>: accuracy of a
/// classifier (top-1, top-5, per class, confusion matrix) or perplexity of a character language model, on LowBit or ONNX
/// Runtime. The data is checked against the model's input (dtype, sample shape) and output (label range, vocabulary) first.
/// </summary>
internal static class EvalCommand
{
    public const int DefaultBatch = 100;

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var model = CommonOptions.Model();
        var dataset = new Option<string>("--dataset", "-d")
        {
            Description = "Labelled data spec: fashion-mnist:test, fashion-mnist-1k, images=DIR, idx=..., npy=...,labels=...; text=FILE for language models",
            HelpName = "SPEC",
            Required = true,
        };
        var engine = CommonOptions.Engine(both: false, defaultValue: Engines.LowBit);
        var batch = CommonOptions.AtLeast("--batch", 1, $"Samples per run (default {DefaultBatch}, or the model's fixed batch dim)");
        var threads = CommonOptions.Threads();
        var limit = CommonOptions.AtLeast("--limit", 1, "Evaluate only the first N samples (sequences for text)");
        var cmd = new Command("eval", "Accuracy of a classifier (top-1/top-5, per class, confusion matrix) or perplexity of a language model")
        {
            model, dataset, engine, batch, threads, limit,
        };
        var fidelity = EvalFidelity.Attach(cmd, dataset);
        cmd.SetAction(pr =>
        {
            var req = new EvalRequest(pr.GetValue(model)!, pr.GetValue(dataset)!, pr.GetValue(engine)!, pr.GetValue(batch), pr.GetValue(threads), pr.GetValue(limit));
            return fidelity.Requested(pr) ? fidelity.Execute(context(pr), pr, req) : Execute(context(pr), req);
        });
        return cmd;
    }

    private static int Execute(CliContext ctx, EvalRequest req)
    {
        ctx.Trace($"loading {req.Model}");
        var graph = OnnxImporter.Load(req.Model);
        var input = graph.RealInputs.FirstOrDefault()
            ?? throw new LowBitException(ErrorKind.InvalidInput, $"{req.Model}: the model has no inputs to feed data to");
        if (graph.RealInputs.Count() > 1)
            throw new LowBitException(ErrorKind.InvalidInput, $"{req.Model}: eval feeds one input; the model has {string.Join(", ", graph.RealInputs.Select(v => v.Name))}");
        var task = TrainedModel.IsLanguageModel(graph) ? EvalTask.LanguageModel : EvalTask.Classification;
        int batch = BatchFor(input, req.Batch);

        using var engine = Engines.Create(req.Engine, graph, req.Model, req.Threads);
        string output = graph.Outputs[0].Name;
        Tensor Run(Tensor x)
        {
            ctx.ThrowIfCancelled();
            return engine.Run(new Dictionary<string, Tensor> { [input.Name] = x })[output];
        }
        var sw = Stopwatch.StartNew();
        var result = task switch
        {
            EvalTask.LanguageModel => EvaluateLanguageModel(ctx, req, graph, input, batch, Run),
            _ => EvaluateClassification(ctx, req, graph, input, batch, Run),
        };
        sw.Stop();
        result = result with
        {
            Engine = engine.Name, Threads = req.Threads, Batch = batch, Seconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
            SamplesPerSecond = Math.Round(result.Samples / Math.Max(1e-9, sw.Elapsed.TotalSeconds), 1),
        };
        if (ctx.Json) ctx.WriteJson(result);
        else EvalReport.Print(ctx.Console, result);
        return ErrorBoundary.Ok;
    }

    /// <summary>The batch size: --batch, else the model's fixed batch dim, else <see cref="DefaultBatch"/>. A fixed batch
    /// dim other than --batch is an error naming both.</summary>
    private static int BatchFor(ValueInfo input, int? requested)
    {
        long? fixedBatch = input.Shape is { Length: > 0 } s ? s[0].Value : null;
        if (fixedBatch is long b && requested is int r && r != b)
            throw new LowBitException(ErrorKind.Usage, $"--batch {r}: model input '{input.Name}' {input.ShapeString} has a fixed batch of {b}");
        return requested ?? (int?)fixedBatch ?? DefaultBatch;
    }

    private static EvalResult EvaluateClassification(CliContext ctx, EvalRequest req, Graph.Graph graph, ValueInfo input, int batch, Func<Tensor, Tensor> run)
    {
        var spec = DataSpec.Parse(req.Dataset);
        if (spec is TextSpec)
            throw new LowBitException(ErrorKind.InvalidInput, $"--dataset {req.Dataset}: {req.Model} is a classifier (input '{input.Name}' {input.DType.Name()} {input.ShapeString}); text is for language models");
        var data = spec.Open(SampleShapeOrNull(input));
        DataValidation.CheckMatches(data, input, batch);
        foreach (var w in DataSanity.Check(req.Model, data, input.Name, req.Dataset)) ctx.Warn(w);
        if (!data.HasLabels)
            throw new LowBitException(ErrorKind.InvalidInput, $"--dataset {req.Dataset}: {data.Name} has no labels; accuracy needs them (npy=...,labels=FILE.npy, idx=...,labels=...)");
        var outputShape = graph.Outputs[0].Shape;
        if (outputShape is { Length: 2 } && outputShape[1].Value is not null) TrainingData.CheckLabels(data, graph);
        ctx.Trace($"evaluating {data}");
        var metrics = ImageTrainingData.Evaluate(data, run, batch, req.Limit, ctx.Cancellation);
        var names = TrainedModel.ClassNames(graph);
        if (names is not null && names.Count == metrics.PerClass.Count)
            metrics = metrics with { PerClass = metrics.PerClass.Select(c => c with { Name = names[c.Index] }).ToList() };
        return new EvalResult("eval", Format.FullPath(req.Model), "", data.Name, "classification", 0, batch, metrics.Samples, 0, 0, metrics, null);
    }

    private static EvalResult EvaluateLanguageModel(CliContext ctx, EvalRequest req, Graph.Graph graph, ValueInfo input, int batch, Func<Tensor, Tensor> run)
    {
        if (DataSpec.Parse(req.Dataset) is not TextSpec spec)
            throw new LowBitException(ErrorKind.InvalidInput, $"--dataset {req.Dataset}: {req.Model} is a language model (input '{input.Name}' {input.DType.Name()} {input.ShapeString}); give text=FILE");
        var vocabulary = TrainedModel.Vocabulary(graph, req.Model)
            ?? throw new LowBitException(ErrorKind.InvalidInput, $"{req.Model}: no character vocabulary (metadata '{TrainedModel.VocabularyKey}' or {TrainedModel.VocabularyPathFor(req.Model)})");
        if (input.Shape is not { Length: 2 } s || s[1].Value is not long context)
            throw new LowBitException(ErrorKind.InvalidInput, $"{req.Model}: input '{input.Name}' {input.ShapeString} needs a fixed context length [N,T]");
        if (TextTrainingData.HasExplicitSeq(req.Dataset) && spec.Options.SequenceLength != context)
            throw new LowBitException(ErrorKind.InvalidInput, $"--dataset {req.Dataset}: seq={spec.Options.SequenceLength}, but model input '{input.Name}' {input.ShapeString} takes {context} tokens");
        var corpus = TextTrainingData.WithContext(req.Dataset, spec, (int)context).OpenText(vocabulary);
        var data = corpus.Validation ?? corpus.Train;
        DataValidation.CheckMatches(data, input, batch);
        TextTrainingData.CheckVocabulary(graph, vocabulary.Size, req.Model);
        ctx.Trace($"evaluating {data}");
        var metrics = TextTrainingData.Evaluate(data, run, batch, req.Limit, ctx.Cancellation);
        return new EvalResult("eval", Format.FullPath(req.Model), "", data.Name, "language_model", 0, batch, (int)Math.Min(int.MaxValue, metrics.Tokens / context),
            0, 0, null, metrics);
    }

    private static int[]? SampleShapeOrNull(ValueInfo input)
    {
        try { return DataValidation.SampleShapeFor(input); }
        catch (LowBitException) { return null; }
    }
}
