using System.Globalization;
using LowBit.Cli.Support;
using LowBit.Nn.Qat;
using LowBit.Nn.Training;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>One quantized weight tensor in <c>lowbit qat --retrain</c>'s result: its saliency Σ|∂L/∂w·w| and how many of its
/// elements were trained.</summary>
internal sealed record QatRetrainedLayer(string Name, int Elements, double Saliency, int Retrained);

/// <summary>What <c>--retrain</c> trained: the scope, F, the batches saliency was measured on, and per weight tensor.</summary>
internal sealed record QatRetrainInfo(string Mode, double Fraction, int SaliencyBatches, long RetrainedWeights, long TotalWeights,
    IReadOnlyList<QatRetrainedLayer> Layers);

/// <summary>
/// <c>lowbit qat --retrain all|salient-layers:F|salient-weights:F|random-weights:F</c>: saliency-aware partial retraining
/// (<see cref="PartialRetraining"/>, <see cref="Saliency"/>). Saliency is measured on the training graph before the first
/// step, over the first <c>--saliency-batches</c> training batches.
/// </summary>
internal static class QatRetrain
{
    public const int DefaultSaliencyBatches = 8;

    public static RetrainSelection Parse(string? spec)
    {
        string s = spec?.Trim().ToLowerInvariant() ?? "all";
        if (s == "all") return RetrainSelection.Full;
        int colon = s.IndexOf(':');
        string kind = colon < 0 ? s : s[..colon];
        var scope = kind switch
        {
            "salient-layers" => RetrainScope.SalientLayers,
            "salient-weights" => RetrainScope.SalientWeights,
            "random-weights" => RetrainScope.RandomWeights,
            _ => throw new LowBitException(ErrorKind.Usage, $"--retrain {spec}: unknown scope; use all, salient-layers:F, salient-weights:F or random-weights:F (F in (0, 1])"),
        };
        if (colon < 0 || !double.TryParse(s[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double f))
            throw new LowBitException(ErrorKind.Usage, $"--retrain {spec}: give the fraction, e.g. {kind}:0.25 (F in (0, 1])");
        return new RetrainSelection(scope, f);
    }

    /// <summary>Measures saliency and selects (null for full QAT: nothing to measure).</summary>
    public static PartialRetraining? Plan(CliContext ctx, QatModel qat, TrainingConfig training, RetrainSelection selection, int batches)
    {
        if (selection.Scope == RetrainScope.All) return null;
        return ProgressDisplay.Run(ctx, progress =>
        {
            var scores = Saliency.Measure(qat, training, batches, ctx.Cancellation, (d, t) => progress.Report("saliency", d, t));
            return PartialRetraining.Select(qat.TrainingGraph, qat.WeightNames, scores, selection, training.Seed);
        });
    }

    public static TrainerSetup Apply(TrainerSetup setup, PartialRetraining? plan, QatModel qat) =>
        plan is null ? setup : plan.Restrict(setup, qat.TrainingGraph, qat.Parameters);

    public static QatRetrainInfo Info(RetrainSelection selection, PartialRetraining? plan, QatModel qat, int batches)
    {
        if (plan is null)
        {
            long n = qat.WeightNames.Sum(w => (long)qat.TrainingGraph.Initializers[w].Length);
            return new QatRetrainInfo(selection.ToString(), 1, 0, n, n, []);
        }
        return new QatRetrainInfo(selection.ToString(), selection.Fraction, batches, plan.RetrainedWeights, plan.TotalWeights,
            plan.Layers.Select(l => new QatRetrainedLayer(l.Name, l.Elements, l.Saliency, l.Retrained)).ToList());
    }

    public static void Print(IAnsiConsole console, QatRetrainInfo r)
    {
        if (r.Layers.Count == 0) return;
        var t = new Table().Border(TableBorder.Rounded).AddColumn("weight").AddColumn(new TableColumn("elements").RightAligned())
            .AddColumn(new TableColumn("saliency Σ|g·w|").RightAligned()).AddColumn(new TableColumn("retrained").RightAligned());
        foreach (var l in r.Layers)
            t.AddRow(Markup.Escape(l.Name), l.Elements.ToString("N0", CultureInfo.InvariantCulture), l.Saliency.ToString("0.###e+0", CultureInfo.InvariantCulture),
                l.Retrained == 0 ? "frozen" : l.Retrained == l.Elements ? "all" : TrainingDisplay.Pct((double)l.Retrained / l.Elements));
        console.MarkupLine($"retrained {Markup.Escape(r.Mode)}: {r.RetrainedWeights:N0} of {r.TotalWeights:N0} quantized weights " +
                           $"({TrainingDisplay.Pct((double)r.RetrainedWeights / Math.Max(1, r.TotalWeights))}), saliency over {r.SaliencyBatches} batches; biases and scales train in full");
        console.Write(t);
    }
}
