using System.Globalization;
using ScottPlot;

namespace LowBit.Reports.Plots;

/// <summary>
/// The report's figures as PNG bytes, drawn with ScottPlot 5 off screen (SkiaSharp raster surface: no display, no GPU).
/// Every method returns a complete PNG file; none writes to disk.
/// </summary>
public static class ReportPlots
{
    public const int Width = 900;
    private static readonly Color Normal = Color.FromHex("#4C78A8");
    private static readonly Color Worst = Color.FromHex("#E45756");
    private static readonly Color After = Color.FromHex("#54A24B");

    /// <summary>
    /// Horizontal bars of per-tensor SQNR (dB), worst at the top; the <paramref name="highlight"/> worst in red. At most
    /// <paramref name="maxBars"/> rows (the worst ones). +∞ (exact) bars are drawn at the largest finite value + 10 dB
    /// and labelled "∞"; −∞ and NaN at 0, labelled so.
    /// </summary>
    public static byte[] LayerSqnr(IReadOnlyList<LayerError> layers, int maxBars = 40, int highlight = 5)
    {
        var rows = layers.Take(maxBars).ToList();
        var values = rows.Select(r => r.SqnrDb).ToList();
        return HorizontalBars("Per-tensor SQNR (worst first)", "SQNR (dB)", rows.Select(r => Short(r.Tensor) + $" [{r.Kind}]").ToList(),
            values, highlight);
    }

    /// <summary>Horizontal bars of the model-output SQNR when only one node is quantized (error attribution), worst
    /// first, the <paramref name="highlight"/> worst in red.</summary>
    public static byte[] Attribution(IReadOnlyList<LayerAttribution> rows, int maxBars = 40, int highlight = 5)
    {
        var take = rows.Take(maxBars).ToList();
        return HorizontalBars("Output SQNR with only this node quantized", "SQNR (dB)",
            take.Select(r => Short(r.Node) + $" ({r.OpType})").ToList(), take.Select(r => r.OutputSqnrDb).ToList(), highlight);
    }

    /// <summary>
    /// The float value distribution of one tensor (<see cref="LayerError.Histogram"/>, regrouped to at most 128 bars,
    /// log10(1 + count) so that tails stay visible) with the quantization grid's clipping range as red dashed lines.
    /// </summary>
    public static byte[] ActivationHistogram(LayerError layer)
    {
        var h = layer.Histogram ?? throw new ArgumentException($"'{layer.Tensor}' has no histogram", nameof(layer));
        using var plt = new Plot();
        int group = Math.Max(1, (h.Counts.Length + 127) / 128);
        var bars = new List<Bar>();
        for (int i = 0; i < h.Counts.Length; i += group)
        {
            long c = 0;
            for (int j = i; j < Math.Min(i + group, h.Counts.Length); j++) c += h.Counts[j];
            double w = h.Width * group;
            bars.Add(new Bar { Position = h.Lo + (i / group + 0.5) * w, Value = Math.Log10(1 + c), Size = w, FillColor = Normal, LineWidth = 0 });
        }
        plt.Add.Bars(bars);
        if (layer.Format is { ClipMin: double lo, ClipMax: double hi })
        {
            foreach (var x in new[] { lo, hi })
            {
                var line = plt.Add.VerticalLine(x, 2, Worst, LinePattern.Dashed);
                line.LabelText = x.ToString("G4", CultureInfo.InvariantCulture);
            }
        }
        plt.Title($"{Short(layer.Tensor, 60)}: SQNR {Db(layer.SqnrDb)}" + (layer.Format is { } f ? $", {f}" : ""));
        plt.XLabel("float value (red: clipping range of the quantization grid)");
        plt.YLabel("log10(1 + count)");
        return Png(plt, Width, 360);
    }

    /// <summary>Labelled points in series (one colour and legend entry each; a series of several points is joined by a
    /// line, for a Pareto front): e.g. file size × float against the top-1 drop.</summary>
    public static byte[] Scatter(string title, string xLabel, string yLabel, IReadOnlyList<(string Series, string Label, double X, double Y)> points)
    {
        using var plt = new Plot();
        foreach (var series in points.GroupBy(p => p.Series))
        {
            var list = series.OrderBy(p => p.X).ToList();
            var sc = plt.Add.Scatter(list.Select(p => p.X).ToArray(), list.Select(p => p.Y).ToArray());
            sc.LegendText = series.Key;
            sc.MarkerSize = 8;
            sc.LineWidth = list.Count > 1 ? 1.5f : 0;
            foreach (var p in list.Where(p => p.Label.Length > 0))
            {
                var text = plt.Add.Text(p.Label, p.X, p.Y);
                text.LabelFontSize = 10;
            }
        }
        plt.ShowLegend();
        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        return Png(plt, Width, 520);
    }

    /// <summary>Two bars, before and after (model size, latency), each labelled with its value and the ratio in the title.</summary>
    public static byte[] BeforeAfter(string title, string unit, double before, double after, string beforeLabel = "float", string afterLabel = "quantized")
    {
        using var plt = new Plot();
        plt.Add.Bars(new List<Bar>
        {
            new() { Position = 0, Value = before, FillColor = Normal, Label = Num(before) + " " + unit },
            new() { Position = 1, Value = after, FillColor = After, Label = Num(after) + " " + unit },
        });
        plt.Axes.Bottom.SetTicks([0, 1], [beforeLabel, afterLabel]);
        plt.Axes.Margins(left: 0.1, right: 0.1, bottom: 0, top: 0.2);
        string ratio = after > 0 ? $" (×{Num(before / after)})" : "";
        plt.Title(title + ratio);
        plt.YLabel(unit);
        return Png(plt, 420, 320);
    }

    private static byte[] HorizontalBars(string title, string xLabel, List<string> labels, List<double> values, int highlight)
    {
        using var plt = new Plot();
        double maxFinite = values.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        double cap = Math.Max(maxFinite, 0) + 10;
        var bars = new List<Bar>();
        var tickPos = new double[labels.Count];
        for (int i = 0; i < labels.Count; i++)
        {
            double v = values[i];
            double drawn = double.IsPositiveInfinity(v) ? cap : double.IsFinite(v) ? v : 0;
            double pos = labels.Count - 1 - i;  // worst (first) at the top
            tickPos[i] = pos;
            bars.Add(new Bar
            {
                Position = pos, Value = drawn, FillColor = i < highlight ? Worst : Normal, Orientation = Orientation.Horizontal,
                Label = Db(v), LineWidth = 0,
            });
        }
        var plot = plt.Add.Bars(bars);
        plot.Horizontal = true;
        plt.Axes.Left.SetTicks(tickPos, labels.ToArray());
        plt.Axes.Margins(left: 0, right: 0.12, bottom: 0.02, top: 0.02);
        plt.Title(title);
        plt.XLabel(xLabel);
        return Png(plt, Width, 120 + 22 * Math.Max(1, labels.Count));
    }

    internal static byte[] Png(Plot plt, int width, int height) => plt.GetImageBytes(width, height, ImageFormat.Png);

    /// <summary>SQNR text: "12.3 dB", "∞", "−∞", "NaN".</summary>
    public static string Db(double v) => double.IsPositiveInfinity(v) ? "∞" : double.IsNegativeInfinity(v) ? "−∞"
        : double.IsNaN(v) ? "NaN" : v.ToString("F1", CultureInfo.InvariantCulture) + " dB";

    private static string Num(double v) => v.ToString(Math.Abs(v) >= 100 ? "F0" : "G3", CultureInfo.InvariantCulture);

    /// <summary>Long tensor names cut in the middle so bars stay readable.</summary>
    internal static string Short(string s, int max = 40) => s.Length <= max ? s : s[..(max / 2 - 1)] + "…" + s[^(max / 2 - 1)..];
}
