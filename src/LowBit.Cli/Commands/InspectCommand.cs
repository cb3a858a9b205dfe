using System.CommandLine;
using LowBit.Cli.Support;
using LowBit.Graph;
using LowBit.Onnx;
using LowBit.Tensors;
using Spectre.Console;

namespace LowBit.Cli.Commands;

internal sealed record ValueReport(string Name, string Dtype, object?[]? Shape);
internal sealed record OpCount(string Op, int Count, bool Supported);
internal sealed record UnsupportedReport(string Op, string Domain, long Opset, IReadOnlyList<string> Nodes);

/// <summary>JSON result of <c>lowbit inspect</c> (docs/cli.md). Shapes list numbers for known dims, names for symbolic
/// ones, null for unknown; opsets use "ai.onnx" for the default domain.</summary>
internal sealed record InspectResult(
    string Command, string Model, long FileBytes, long IrVersion, IReadOnlyDictionary<string, long> Opsets,
    string Producer, string ProducerVersion, string Domain, long ModelVersion,
    IReadOnlyList<ValueReport> Inputs, IReadOnlyList<ValueReport> Outputs,
    int Nodes, IReadOnlyList<OpCount> OpHistogram, long Parameters, int Initializers,
    IReadOnlyDictionary<string, long> BytesByDtype, bool LowbitSupportsAll, IReadOnlyList<UnsupportedReport> Unsupported);

/// <summary><c>lowbit inspect MODEL</c>: what the model is and whether LowBit can run it, all at once.</summary>
internal static class InspectCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var model = CommonOptions.Model();
        var cmd = new Command("inspect", "Show opset, IR, producer, inputs/outputs, op histogram, parameters and unsupported ops")
        {
            model,
        };
        cmd.SetAction(pr => Execute(context(pr), pr.GetValue(model)!));
        return cmd;
    }

    public static InspectResult Inspect(string path)
    {
        var g = OnnxImporter.Load(path);
        var histogram = new Dictionary<string, (int Count, bool Supported)>();
        int nodes = 0;
        void Walk(Graph.Graph graph)
        {
            foreach (var n in graph.Nodes)
            {
                nodes++;
                string op = Format.OpName(n.Domain, n.OpType);
                var (count, _) = histogram.GetValueOrDefault(op);
                histogram[op] = (count + 1, OpTable.Find(n.Domain, n.OpType, g.OpsetOf(n.Domain)) is not null);
                foreach (var s in n.Subgraphs()) Walk(s);
            }
        }
        Walk(g);
        var (parameters, bytes) = g.ParameterStats();
        var unsupported = UnsupportedOps.Find(g).Select(u => new UnsupportedReport(u.QualifiedName, u.Domain.Length > 0 ? u.Domain : "ai.onnx", u.Opset, u.Nodes)).ToList();
        static ValueReport Value(ValueInfo v) => new(v.Name, v.NonTensorType ?? v.DType.Name(), Format.Dims(v.Shape));
        return new InspectResult(
            "inspect", Format.FullPath(path), new FileInfo(path).Length, g.Metadata.IrVersion,
            g.Opsets.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key.Length > 0 ? kv.Key : "ai.onnx", kv => kv.Value),
            g.Metadata.ProducerName, g.Metadata.ProducerVersion, g.Metadata.Domain, g.Metadata.ModelVersion,
            g.Inputs.Select(Value).ToList(), g.Outputs.Select(Value).ToList(), nodes,
            histogram.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new OpCount(kv.Key, kv.Value.Count, kv.Value.Supported)).ToList(),
            parameters, g.Initializers.Count,
            bytes.OrderByDescending(kv => kv.Value).ToDictionary(kv => kv.Key.Name(), kv => kv.Value),
            unsupported.Count == 0, unsupported);
    }

    private static int Execute(CliContext ctx, string path)
    {
        var r = Inspect(path);
        if (ctx.Json) ctx.WriteJson(r);
        else Print(ctx.Console, r);
        return ErrorBoundary.Ok;
    }

    private static string Dims(object?[]? shape) => shape is null ? "?" : "[" + string.Join(",", shape.Select(d => d?.ToString() ?? "?")) + "]";

    private static void Print(IAnsiConsole c, InspectResult r)
    {
        c.MarkupLine($"[bold]{Markup.Escape(Format.Shown(r.Model))}[/] ({Format.Bytes(r.FileBytes)})");
        string producer = (r.Producer + " " + r.ProducerVersion).Trim();
        c.MarkupLine($"  IR version {r.IrVersion}; opsets {Markup.Escape(string.Join(", ", r.Opsets.Select(kv => $"{kv.Key} {kv.Value}")))}" +
                     $"; producer {Markup.Escape(producer.Length > 0 ? producer : "(none)")}");
        var io = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("name").AddColumn("dtype").AddColumn("shape");
        foreach (var v in r.Inputs) io.AddRow("input", Markup.Escape(v.Name), v.Dtype, Markup.Escape(Dims(v.Shape)));
        foreach (var v in r.Outputs) io.AddRow("output", Markup.Escape(v.Name), v.Dtype, Markup.Escape(Dims(v.Shape)));
        c.Write(io);
        string byType = string.Join(", ", r.BytesByDtype.Select(kv => $"{kv.Key} {Format.Bytes(kv.Value)}"));
        c.MarkupLine($"Parameters: {r.Parameters:N0} in {r.Initializers} initializers ({Markup.Escape(byType.Length > 0 ? byType : "none")})");
        c.MarkupLine($"Nodes: {r.Nodes} ({r.OpHistogram.Count} op types)");
        var ops = new Table().Border(TableBorder.Rounded).AddColumn("op").AddColumn(new TableColumn("count").RightAligned()).AddColumn("LowBit");
        foreach (var o in r.OpHistogram) ops.AddRow(Markup.Escape(o.Op), o.Count.ToString(), o.Supported ? "yes" : "[red]no[/]");
        c.Write(ops);
        if (r.LowbitSupportsAll)
        {
            c.MarkupLine("[green]LowBit implements every operator in this model.[/]");
            return;
        }
        c.MarkupLine($"[red]LowBit does not implement {r.Unsupported.Count} operator type(s)[/] (run with --engine ort meanwhile):");
        var un = new Table().Border(TableBorder.Rounded).AddColumn("op").AddColumn("opset").AddColumn("nodes");
        foreach (var u in r.Unsupported) un.AddRow(Markup.Escape(u.Op), u.Opset.ToString(), Markup.Escape(string.Join(", ", u.Nodes)));
        c.Write(un);
    }
}
