using System.Globalization;

namespace LowBit.Reports.Writers;

/// <summary>Number formatting shared by the Markdown and HTML writers (invariant culture).</summary>
internal static class ReportFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Db(double v) => Plots.ReportPlots.Db(v);
    public static string Db(double? v) => v is double d ? Db(d) : "–";

    public static string Percent(double v) => (100 * v).ToString("F2", Inv) + " %";
    public static string Percent(double? v) => v is double d ? Percent(d) : "–";

    /// <summary>Signed percentage points: "+0.35 pp", "−1.20 pp".</summary>
    public static string Points(double v) => (v >= 0 ? "+" : "−") + Math.Abs(100 * v).ToString("F2", Inv) + " pp";

    public static string Num(double v, string format = "G4") =>
        double.IsPositiveInfinity(v) ? "∞" : double.IsNegativeInfinity(v) ? "−∞" : double.IsNaN(v) ? "NaN" : v.ToString(format, Inv);

    public static string Num(double? v, string format = "G4") => v is double d ? Num(d, format) : "–";

    public static string Bytes(long b) => b switch
    {
        >= 1L << 30 => (b / (double)(1L << 30)).ToString("F2", Inv) + " GiB",
        >= 1L << 20 => (b / (double)(1L << 20)).ToString("F2", Inv) + " MiB",
        >= 1L << 10 => (b / 1024.0).ToString("F1", Inv) + " KiB",
        _ => b.ToString(Inv) + " B",
    };

    public static string Ratio(double r) => "×" + r.ToString(r >= 10 ? "F1" : "F2", Inv);

    /// <summary>The headline facts, in order: (label, value).</summary>
    public static List<(string Label, string Value)> Headline(Report r)
    {
        var list = new List<(string, string)>();
        if (r.Size is { } s) list.Add(("Size", $"{Bytes(s.BytesBefore)} → {Bytes(s.BytesAfter)} ({Ratio(s.Ratio)} smaller)"));
        if (r.Latency is { } l) list.Add(("Latency", $"{Num(l.BeforeMs, "F2")} ms → {Num(l.AfterMs, "F2")} ms ({Ratio(l.Speedup)} {(l.Speedup >= 1 ? "faster" : "— slower!")})"));
        if (r.Fidelity?.Accuracy is { } a)
            list.Add(("Top-1 accuracy", $"{Percent(a.Reference.Top1)} → {Percent(a.Test.Top1)} ({Points(a.Top1Delta)})"));
        if (r.Fidelity?.Outputs.FirstOrDefault() is { } o)
        {
            list.Add(("Output SQNR", $"{Db(o.SqnrDb)} ({o.Name})"));
            if (o.Top1Agreement is double agree) list.Add(("Top-1 agreement", Percent(agree)));
        }
        if (r.Layers?.Layers.FirstOrDefault(x => x.Kind != "float") is { } w)
            list.Add(("Worst quantized tensor", $"{w.Tensor} ({w.Kind}, {Db(w.SqnrDb)})"));
        if (r.Layers?.KeepInHigherPrecision is { Count: > 0 } keep)
            list.Add(("Keep in higher precision", string.Join(", ", keep)));
        return list;
    }
}
