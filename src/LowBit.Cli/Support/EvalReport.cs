using System.Globalization;
using LowBit.Cli.Commands;
using LowBit.Nn.Training;
using Spectre.Console;

namespace LowBit.Cli.Support;

/// <summary>Human output of <c>lowbit eval</c>: a header line, then one section per task.</summary>
internal static class EvalReport
{
    public static void Print(IAnsiConsole c, EvalResult r)
    {
        string unit = r.LanguageModel is null ? "images" : "sequences";
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/] on {Markup.Escape(r.Dataset)} ({r.Samples:N0} {unit}) with {Engines.DisplayName(r.Engine)}, " +
                     $"{r.Threads} thread{(r.Threads == 1 ? "" : "s")}, batch {r.Batch}: {r.Seconds:0.0} s, {r.SamplesPerSecond:0.0} {unit}/s");
        if (r.Classification is { } m) Classification(c, m);
        if (r.LanguageModel is { } l)
            c.MarkupLine($"perplexity [bold]{l.Perplexity:0.000}[/]  loss {l.Loss:0.0000} nats/char  accuracy {TrainingDisplay.Pct(l.Accuracy)}  over {l.Tokens:N0} characters");
    }

    private static void Classification(IAnsiConsole c, ClassificationMetrics m)
    {
        c.MarkupLine($"top-1 [bold]{TrainingDisplay.Pct(m.Top1)}[/]  top-{Math.Min(5, m.PerClass.Count)} {TrainingDisplay.Pct(m.Top5)}  loss {m.Loss:0.0000}");
        var perClass = new Table().Border(TableBorder.Rounded).AddColumn("class").AddColumn("name");
        foreach (var h in new[] { "samples", "correct", "accuracy" }) perClass.AddColumn(new TableColumn(h).RightAligned());
        foreach (var k in m.PerClass)
            perClass.AddRow(k.Index.ToString(CultureInfo.InvariantCulture), Markup.Escape(k.Name), k.Samples.ToString("N0", CultureInfo.InvariantCulture),
                k.Correct.ToString("N0", CultureInfo.InvariantCulture), k.Samples == 0 ? "-" : TrainingDisplay.Pct(k.Accuracy));
        c.Write(perClass);

        // Rows: true class; columns: predicted class (indices; names are in the table above).
        var confusion = new Table().Border(TableBorder.Rounded).Title("confusion matrix (rows: true class, columns: predicted)");
        confusion.AddColumn(new TableColumn("true\\pred"));
        for (int j = 0; j < m.Confusion.Length; j++) confusion.AddColumn(new TableColumn(j.ToString(CultureInfo.InvariantCulture)).RightAligned());
        for (int i = 0; i < m.Confusion.Length; i++)
            confusion.AddRow(m.Confusion[i].Select((n, j) => i == j ? $"[bold]{n}[/]" : n == 0 ? "[grey]·[/]" : n.ToString(CultureInfo.InvariantCulture))
                .Prepend(i.ToString(CultureInfo.InvariantCulture)).ToArray());
        c.Write(confusion);
    }
}
