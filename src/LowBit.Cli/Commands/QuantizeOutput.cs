using LowBit.Cli.Support;
using LowBit.Quantization;
using LowBit.Reports.Writers;
using LowBit.Tensors;
using Spectre.Console;

namespace LowBit.Cli.Commands;

/// <summary>Nodes of one op type in the prepared graph: how many were quantized, how many stay float.</summary>
internal sealed record QuantOpCount(string Op, int Quantized, int Float);

internal sealed record SizeResult(long BeforeBytes, long AfterBytes, double Ratio);

internal sealed record CpuResult(string Cpu, bool U8s8Saturates, bool ReduceRange, string Reason);

internal sealed record CalibrationResultInfo(string? Data, int Samples, string Observer, string Cache, double Seconds);

/// <summary>The report's headline figures (null where not measured) and its files.</summary>
internal sealed record ReportSummary(string Dir, string Html, string Json, double? OutputSqnrDb, double? CosineMean, double? Top1Agreement,
    double? FloatAccuracy, double? QuantizedAccuracy, double? FloatMs, double? QuantizedMs, double? LatencyRatio,
    IReadOnlyList<string> KeepInHigherPrecision);

/// <summary>JSON result of <c>lowbit quantize</c> (docs/cli.md).</summary>
internal sealed record QuantizeResult(
    string Command, string Model, string Out, string Manifest, string Mode, string Weights, string? Activations, int ExportOpset,
    CpuResult Cpu, CalibrationResultInfo? Calibration, IReadOnlyList<QuantOpCount> Ops, int QuantizedNodes, int FloatNodes,
    SizeResult Size, IReadOnlyList<string> Warnings, ReportSummary? Report, double Seconds)
{
    /// <summary>Facts worth knowing that are not problems (e.g. 3-bit codes stored in 4-bit containers).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>What --max-drop did; null without it.</summary>
    public MaxDropInfo? MaxDrop { get; init; }

    /// <summary>The config's container notes, then what packing did: per weight format, tensors packed and their code bytes
    /// (⌈n/8⌉·b) against the container's (n·S/8), from the manifest.</summary>
    public static IReadOnlyList<string> NotesFor(QuantizerConfig c, QuantManifest m) => [.. NotesFor(c), .. PackedNotes(m)];

    private static IEnumerable<string> PackedNotes(QuantManifest m)
    {
        foreach (var f in m.Tensors.Where(t => t.Kind == "weight").GroupBy(t => t.Format).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var packed = f.Where(t => t.PackedBits is not null && t.Shape is not null).ToList();
            if (packed.Count == 0 || Formats.FormatTable.Get(f.Key).OnnxType is not { } container) continue;
            int stored = DTypes.BitsPerElement(container);
            long n = packed.Sum(t => t.Shape!.Aggregate(1L, (a, d) => a * d));
            long packedBytes = packed.Sum(t => (t.Shape!.Aggregate(1L, (a, d) => a * d) + 7) / 8 * t.PackedBits!.Value);
            yield return $"packed {packed.Count} of {f.Count()} {f.Key} weight tensors: {n} codes in {Format.Bytes(packedBytes)} " +
                         $"(as {container.Name()}: {Format.Bytes(n * stored / 8)})";
        }
    }

    public static IReadOnlyList<string> NotesFor(QuantizerConfig c)
    {
        string weights = c.PackWeights ? "weights" : "weights (--pack false)";  // ContainerNote: only "weights" are packed
        var formats = new List<(Formats.INumberFormat, string)> { (c.Weights.Format, weights) };
        if (c.Activations is { } a) formats.Add((a.Format, "activations"));
        if (c.Recipe is { } r)
            foreach (var o in r.Nodes.Values)
            {
                if (o.Weights is { } w) formats.Add((w.Format, weights));
                if (o.Activations is { } ra) formats.Add((ra.Format, "activations"));
            }
        return formats.Select(f => WeightQuantConfig.ContainerNote(f.Item1, f.Item2)).OfType<string>().Distinct().ToList();
    }

    public static QuantizeResult From(string model, string output, QuantizedModel q, CalibrationResultInfo? calibration, ReportSummary? report,
        IReadOnlyList<string> extraWarnings, double seconds)
    {
        var m = q.Manifest;
        var c = m.Config;
        var ops = m.Nodes.GroupBy(n => n.OpType)
            .Select(g => new QuantOpCount(g.Key, g.Count(n => n.Quantized), g.Count(n => !n.Quantized)))
            .OrderByDescending(o => o.Quantized + o.Float).ThenBy(o => o.Op, StringComparer.Ordinal).ToList();
        long before = new FileInfo(model).Length, after = new FileInfo(output).Length;
        return new QuantizeResult("quantize", Format.FullPath(model), Format.FullPath(output), QuantizedModel.ManifestPathFor(output), c.Mode,
            $"{c.Weights.Format} {c.Weights.Granularity} {c.Weights.Scheme}" + (c.Weights.Range == "mse" ? " mse" : "") + (m.Cpu.ReduceRange ? " (7-bit: reduce-range)" : ""),
            c.Activations is { } a ? $"{a.Format} {a.Scheme} {a.Observer}" : null, (int)m.Export.Opset,
            new CpuResult(m.Cpu.Cpu, m.Cpu.U8S8Saturates, m.Cpu.ReduceRange, m.Cpu.Reason), calibration, ops,
            m.Nodes.Count(n => n.Quantized), m.Nodes.Count(n => !n.Quantized),
            new SizeResult(before, after, before > 0 ? Math.Round((double)after / before, 4) : 0),
            [.. m.Warnings, .. extraWarnings.Where(w => !m.Warnings.Contains(w))], report, Math.Round(seconds, 2));
    }

    public static ReportSummary Summarize(Report r, ReportFiles files)
    {
        var o = r.Fidelity?.Outputs.FirstOrDefault();
        var a = r.Fidelity?.Accuracy;
        return new ReportSummary(files.Directory, files.Html, files.Json, o?.SqnrDb, o?.CosineMean, o?.Top1Agreement,
            a?.Reference.Top1, a?.Test.Top1, r.Latency?.BeforeMs, r.Latency?.AfterMs,
            r.Latency is { BeforeMs: > 0 } l ? Math.Round(l.AfterMs / l.BeforeMs, 4) : null,
            r.Layers?.KeepInHigherPrecision ?? []);
    }
}

/// <summary>Human output of <c>lowbit quantize</c>.</summary>
internal static class QuantizePrinter
{
    public static void Print(IAnsiConsole c, QuantizeResult r)
    {
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/] → [bold]{Markup.Escape(Format.Shown(r.Out))}[/] ({r.Mode}; weights {Markup.Escape(r.Weights)}" +
                     (r.Activations is string a ? $"; activations {Markup.Escape(a)}" : "") + $"; opset {r.ExportOpset}) in {r.Seconds:0.0} s");
        c.MarkupLine($"CPU: {Markup.Escape(r.Cpu.Cpu)} → {(r.Cpu.ReduceRange ? "7-bit weights (reduce-range)" : "full-range weights")}: {Markup.Escape(r.Cpu.Reason)}");
        if (r.Calibration is { } cal)
            c.MarkupLine($"Calibration: {cal.Samples} sample{(cal.Samples == 1 ? "" : "s")} of {Markup.Escape(cal.Data ?? "?")}, observer {Markup.Escape(cal.Observer)}, " +
                         $"cache {cal.Cache}, {cal.Seconds:0.0} s");
        var t = new Table().Border(TableBorder.Rounded).AddColumn("op").AddColumn(new TableColumn("quantized").RightAligned()).AddColumn(new TableColumn("float").RightAligned());
        foreach (var o in r.Ops) t.AddRow(Markup.Escape(o.Op), o.Quantized.ToString(), o.Float == 0 ? "[grey]0[/]" : o.Float.ToString());
        c.Write(t);
        c.MarkupLine($"Nodes: {r.QuantizedNodes} quantized, {r.FloatNodes} float (the manifest {Markup.Escape(Path.GetFileName(r.Manifest))} says why for each)");
        foreach (var n in r.Notes) c.MarkupLine("Note: " + Markup.Escape(n));
        c.MarkupLine($"Size: {Format.Bytes(r.Size.BeforeBytes)} → {Format.Bytes(r.Size.AfterBytes)} ({r.Size.Ratio:0.000}× of float)");
        if (r.MaxDrop is { } md) PrintMaxDrop(c, md);
        if (r.Report is { } rep)
        {
            var parts = new List<string>();
            if (rep.CosineMean is double cos) parts.Add($"cosine {cos:0.00000}");
            if (rep.OutputSqnrDb is double sq) parts.Add($"SQNR {sq:0.0} dB");
            if (rep.Top1Agreement is double ag) parts.Add($"top-1 agreement {ag:P2}");
            if (rep.FloatAccuracy is double fa && rep.QuantizedAccuracy is double qa) parts.Add($"accuracy {fa:P2} → {qa:P2} ({(qa - fa) * 100:+0.00;-0.00} points)");
            if (rep.LatencyRatio is double lr) parts.Add($"ONNX Runtime latency {Format.Ms(rep.FloatMs!.Value)} → {Format.Ms(rep.QuantizedMs!.Value)} ms ({lr:0.00}×)");
            if (parts.Count > 0) c.MarkupLine("Held-out: " + Markup.Escape(string.Join("; ", parts)));
            if (rep.KeepInHigherPrecision.Count > 0)
                c.MarkupLine("Keep in higher precision (largest share of the output error): " +
                             Markup.Escape(string.Join(" ", rep.KeepInHigherPrecision.Select(n => $"--exclude {Quote(n)}"))));
            c.MarkupLine($"Report: {Markup.Escape(rep.Html)}");
        }
    }

    private static void PrintMaxDrop(IAnsiConsole c, MaxDropInfo m)
    {
        c.MarkupLine($"Max drop {m.Target:0.###} points on {Markup.Escape(m.Eval)} ({m.Samples:N0} samples, ONNX Runtime): float {m.FloatTop1:P2}; " +
                     $"all quantized −{m.InitialDrop:0.00} → [bold]−{m.Drop:0.00}[/] points after {m.Trials.Count} trials " +
                     (m.Met ? "[green](met)[/]" : "[red](not met: even with every ranked layer restored)[/]"));
        if (m.Restored.Count == 0) return;
        c.MarkupLine($"Returned to {Markup.Escape(m.Fallback)} ({m.Restored.Count}, most sensitive first by {m.RankedBy}): " +
                     Markup.Escape(string.Join(", ", m.Restored.Select(n => $"{n.Node} ({n.Op}, {m.RankedBy} {n.Score:0.###e+0}, +{Format.Bytes(n.ExtraBytes)})"))));
    }

    /// <summary>A node name as a shell word (single-quoted when it holds anything but [A-Za-z0-9._/:-]).</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '/' or ':' or '-') ? s : "'" + s.Replace("'", "'\\''") + "'";
}
