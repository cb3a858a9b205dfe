using System.Globalization;
using LowBit.Cli.Support;
using LowBit.Quantization.Search;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>Human output of <c>lowbit sensitivity</c>: per format, the layers most sensitive first (by the first method),
/// the whole-model figures, and the rank agreement with the measured drops.</summary>
internal static class SensitivityPrinter
{
    public static void Print(IAnsiConsole c, SensitivityResult r, IReadOnlyList<SensitivityMethod> methods, int rows)
    {
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/] on {Markup.Escape(r.Data)} ({r.Samples:N0} samples), {r.Seconds:0.0} s: " +
                     "each layer quantized alone, the rest float");
        var first = methods[0];
        foreach (var f in r.Formats.Where(f => f != FormatChoice.FloatName))
        {
            var t = new Table().Border(TableBorder.Rounded).Title($"{Markup.Escape(f)}: most sensitive first (by {SensitivityMethods.Name(first)})")
                .AddColumn("node").AddColumn("op").AddColumn(new TableColumn("weights").RightAligned()).AddColumn(new TableColumn("bytes").RightAligned());
            foreach (var m in methods) t.AddColumn(new TableColumn(Header(m)).RightAligned());
            if (r.Measured is not null) t.AddColumn(new TableColumn("Δtop-1 (eval)").RightAligned());
            var layers = r.Layers.Where(l => l.Format == f).OrderByDescending(l => l.Score(first) ?? double.NegativeInfinity).ToList();
            foreach (var l in layers.Take(rows))
            {
                var cells = new List<string> { Markup.Escape(l.Node), Markup.Escape(l.OpType), l.Parameters.ToString("N0"), Format.Bytes(l.Bytes) };
                cells.AddRange(methods.Select(m => Cell(m, l)));
                if (r.Measured is not null)
                    cells.Add(r.Measured.FirstOrDefault(x => x.Node == l.Node && x.Format == f)?.Top1Drop is double d ? Points(d) : "-");
                t.AddRow(cells.ToArray());
            }
            c.Write(t);
            if (layers.Count > rows) c.MarkupLine($"[grey]… {layers.Count - rows} more (--rows, or --json for all)[/]");
            if (r.Uniform.FirstOrDefault(u => u.Format == f) is { } u)
                c.MarkupLine($"All layers {Markup.Escape(f)}: output SQNR {Db(u.SqnrDb)} (single layers' noises add up to {Db(-10 * Math.Log10(u.SumOfSingleNoises))})" +
                             (u.Top1Drop is double d ? $", top-1 {Points(-d)} points" : "") + $", {Format.Bytes(u.Bytes)}");
        }
        if (r.Pairs.Count > 0)
        {
            var t = new Table().Border(TableBorder.Rounded).Title("inter-layer dependency: neighbours quantized together, strongest first")
                .AddColumn("first").AddColumn("second").AddColumn("format").AddColumn(new TableColumn("joint SQNR").RightAligned())
                .AddColumn(new TableColumn("sum of singles").RightAligned()).AddColumn(new TableColumn("joint / sum").RightAligned());
            foreach (var p in r.Pairs.OrderByDescending(p => Math.Abs(p.Interaction)).Take(rows))
                t.AddRow(Markup.Escape(p.First), Markup.Escape(p.Second), Markup.Escape(p.Format), Db(-10 * Math.Log10(p.Noise)),
                    Db(-10 * Math.Log10(p.SumOfSingles)), (p.Noise / p.SumOfSingles).ToString("0.00", CultureInfo.InvariantCulture));
            c.Write(t);
        }
        if (r.Agreement is { Count: > 0 } a)
        {
            var t = new Table().Border(TableBorder.Rounded)
                .Title($"rank agreement (Spearman ρ) with the single-layer drops measured on {Markup.Escape(r.Eval ?? "")} ({r.EvalSamples:N0} samples)")
                .AddColumn("method").AddColumn("format").AddColumn(new TableColumn("layers").RightAligned())
                .AddColumn(new TableColumn("ρ vs top-1 drop").RightAligned()).AddColumn(new TableColumn("ρ vs loss increase").RightAligned());
            foreach (var x in a)
                t.AddRow(x.Method, Markup.Escape(x.Format), x.Layers.ToString(), Rho(x.RhoTop1), Rho(x.RhoLoss));
            c.Write(t);
        }
    }

    private static string Header(SensitivityMethod m) => m switch
    {
        SensitivityMethod.Sqnr => "output SQNR",
        SensitivityMethod.Kl => "KL",
        SensitivityMethod.Loss => "Δloss",
        SensitivityMethod.Fisher => "Fisher",
        SensitivityMethod.Lrp => "LRP",
        _ => "Hessian",
    };

    private static string Cell(SensitivityMethod m, LayerScore l) => m == SensitivityMethod.Sqnr ? Db(l.SqnrDb)
        : l.Score(m) is double v ? v.ToString("0.###e+0", CultureInfo.InvariantCulture) : "-";

    private static string Db(double v) => double.IsPositiveInfinity(v) ? "∞" : v.ToString("0.0", CultureInfo.InvariantCulture) + " dB";
    private static string Points(double v) => v.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);
    private static string Rho(double? v) => v is double x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "-";
}
