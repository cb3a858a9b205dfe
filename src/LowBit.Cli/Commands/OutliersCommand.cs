using System.CommandLine;
using System.Globalization;
using LowBit.Cli.Support;
using LowBit.Data;
using LowBit.Graph;
using LowBit.Onnx;
using LowBit.Reports;
using LowBit.Tensors;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>JSON result of <c>lowbit outliers</c> (docs/cli.md).</summary>
internal sealed record OutliersResult(string Command, string Model, string Data, long Samples, double MaxAbs, double FfnMaxAbs,
    double FfnMeanKurtosis, double FfnMaxKurtosis, IReadOnlyList<OutlierStats> Tensors);

/// <summary>
/// <c>lowbit outliers MODEL --data SPEC [--samples N] [--batch B] [--tensor NAME ...]</c>: activation outliers of a
/// transformer (<see cref="ActivationOutliers"/>): max |x| and kurtosis of each residual branch (FFN, attention) and the
/// residual stream, over the first N samples, in LowBit's runtime.
/// </summary>
internal static class OutliersCommand
{
    public const int DefaultSamples = 1000;

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var model = CommonOptions.Model();
        var data = new Option<string>("--data", "-d", "--dataset") { Description = "Data to run: any single-input data spec (e.g. fashion-mnist:test), or text=FILE for a language model", HelpName = "SPEC", Required = true };
        var samples = CommonOptions.AtLeast("--samples", 1, $"Samples (sequences for text) to run (default {DefaultSamples})");
        var batch = CommonOptions.AtLeast("--batch", 1, "Batch size (default 64; a model with a fixed batch uses it)");
        var tensors = new Option<string[]>("--tensor") { Description = "Measure these values instead of the residual branches and stream (repeatable; role: ffn)", HelpName = "NAME", AllowMultipleArgumentsPerToken = false };
        var threads = CommonOptions.Threads();
        var cmd = new Command("outliers", "Activation outliers of a transformer: max |x| and kurtosis of the FFN / attention outputs and the residual stream")
        {
            model, data, samples, batch, tensors, threads,
        };
        cmd.SetAction(pr => Execute(context(pr), pr.GetValue(model)!, pr.GetValue(data)!, pr.GetValue(samples) ?? DefaultSamples,
            pr.GetValue(batch) ?? 64, pr.GetValue(tensors) ?? [], pr.GetValue(threads)));
        return cmd;
    }

    private static int Execute(CliContext ctx, string path, string spec, int samples, int batch, string[] names, int threads)
    {
        var g = OnnxImporter.Load(path);
        var input = ModelData.SingleInput(g, path);
        var (dataName, batches) = Batches(g, path, spec, input, samples, batch);
        var watch = names.Length == 0 ? null : names.Select(n => new OutlierTensor(n, OutlierRole.Ffn)).ToList();
        if (watch is null && OutlierTensors.Find(g).Count == 0)
            throw new LowBitException(ErrorKind.InvalidInput, $"{path}: no residual Add found (not a transformer?); name values with --tensor");
        var report = ProgressDisplay.Run(ctx, p => ActivationOutliers.Measure(g, batches, watch, threads,
            new Progress<long>(n => p.Report("run", n, samples)), ctx.Cancellation));
        var result = new OutliersResult("outliers", Format.FullPath(path), dataName, report.Samples, report.MaxAbs, report.FfnMaxAbs,
            report.FfnMeanKurtosis, report.FfnMaxKurtosis, report.Tensors);
        if (ctx.Json) ctx.WriteJson(result);
        else Print(ctx.Console, result);
        return ErrorBoundary.Ok;
    }

    private static (string Name, IEnumerable<IReadOnlyDictionary<string, Tensor>> Batches) Batches(Graph.Graph g, string path, string spec,
        ValueInfo input, int samples, int batch)
    {
        if (FormatsText.TryOpen(g, path, spec, input, samples) is { } text)
        {
            int t = text.Data.SequenceLength, n = text.Sequences, b = text.Batch;
            IEnumerable<IReadOnlyDictionary<string, Tensor>> Seq()
            {
                var targets = new long[t];
                for (int start = 0; start < n; start += b)
                {
                    int rows = Math.Min(b, n - start);
                    var x = new long[rows * t];
                    for (int r = 0; r < rows; r++) text.Data.Read(start + r, x.AsSpan(r * t, t), targets);
                    yield return new Dictionary<string, Tensor> { [input.Name] = Tensor.FromArray(x, rows, t) };
                }
            }
            return (text.Data.Name, Seq());
        }
        var data = ModelData.Open(spec, input, "--data");
        return (data.Name, EvalData.Batches(data, input.Name, ModelData.BatchFor(input, batch), samples).Select(x => x.Inputs));
    }

    private static void Print(IAnsiConsole console, OutliersResult r)
    {
        static string F(double v) => double.IsNaN(v) ? "-" : v.ToString(v >= 100 ? "F1" : "F3", CultureInfo.InvariantCulture);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("tensor", "role", "max |x|", "kurtosis", "mean", "std");
        foreach (var t in r.Tensors)
            table.AddRow(Markup.Escape(t.Tensor), t.Role.ToString().ToLowerInvariant(), F(t.MaxAbs), F(t.Kurtosis), F(t.Mean), F(t.Std));
        console.Write(table);
        console.WriteLine($"{r.Samples} samples of {r.Data}: max |x| {F(r.MaxAbs)}; FFN outputs: max |x| {F(r.FfnMaxAbs)}, " +
            $"kurtosis mean {F(r.FfnMeanKurtosis)}, max {F(r.FfnMaxKurtosis)}");
    }
}
