using System.Globalization;
using LowBit.Cli.Support;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>The human-readable summary of <c>lowbit qat</c>: the epochs, then float / post-training / trained top-1 side by
/// side (ONNX Runtime running each file) with the drops in points.</summary>
internal static class QatPrinter
{
    public static void Print(IAnsiConsole console, QatResult r)
    {
        var t = new Table().Border(TableBorder.Rounded);
        foreach (var h in new[] { "epoch", "train loss", "train acc", "val top-1 (fake quant)", "img/s", "seconds" }) t.AddColumn(new TableColumn(h).RightAligned());
        foreach (var e in r.Epochs)
            t.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), $"{e.TrainLoss:0.0000}", TrainingDisplay.Pct(e.TrainAccuracy),
                e.Validation is { } v ? TrainingDisplay.Pct(v.Accuracy) : "-", $"{e.SamplesPerSecond:0.0}", $"{e.Seconds + e.ValidationSeconds:0.0}");
        string acts = r.Activations is null ? "float activations" : r.Activations + " activations";
        console.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/]: {r.Method} quantization-aware training, {Markup.Escape(r.Weights)} weights, {Markup.Escape(acts)}" +
                           (r.Teacher is string teacher ? $", distilled from {Markup.Escape(Format.Shown(teacher))}" : ""));
        if (r.Retrain is { } retrain) QatRetrain.Print(console, retrain);
        console.Write(t);
        if (r.Accuracy is { } a)
        {
            var acc = new Table().Border(TableBorder.Rounded).AddColumn("model").AddColumn(new TableColumn("top-1").RightAligned()).AddColumn(new TableColumn("drop (points)").RightAligned());
            acc.AddRow("float (ONNX Runtime)", TrainingDisplay.Pct(a.Float), "");
            acc.AddRow("post-training start (ONNX Runtime)", TrainingDisplay.Pct(a.PostTraining), Points(a.Float - a.PostTraining));
            acc.AddRow("[bold]trained (ONNX Runtime)[/]", $"[bold]{TrainingDisplay.Pct(a.Trained)}[/]", $"[bold]{Points(a.Float - a.Trained)}[/]");
            acc.AddRow("trained (LowBit)", TrainingDisplay.Pct(a.TrainedLowbit), Points(a.Float - a.TrainedLowbit));
            console.MarkupLine($"top-1 on {a.Samples:N0} samples of {Markup.Escape(a.Data)}:");
            console.Write(acc);
        }
        console.MarkupLine($"wrote {Markup.Escape(Format.Shown(r.Out))}, its manifest and {Markup.Escape(Format.Shown(r.Log))} ({r.TotalSeconds:0} s, {r.TrainingSeconds:0} s training)");
    }

    private static string Points(double fraction) => (fraction * 100).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);
}
