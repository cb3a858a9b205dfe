using LowBit.Quantization.Prepare;
using LowBit.Tensors;

namespace LowBit.Quantization;

/// <summary>
/// The export opset policy: the lowest default-domain opset the rewritten graph needs, given its quantization ops —
/// QuantizeLinear/DequantizeLinear 10, per-axis scales 13, float8 codes 19, int4/uint4/int16/uint16 codes or blocked scales 21,
/// DynamicQuantizeLinear 11, Clip with min/max inputs 11, Mod (packed-code unpack) 10 — and never below the model's own (opsets are only raised, with
/// <see cref="OpsetUpgrade"/> converting ops that changed). A requested opset below what is needed is an error.
/// </summary>
internal static class ExportOpset
{
    public static (long Opset, string Reason, List<string> Notes) Apply(Graph.Graph g, long modelOpset, int? requested)
    {
        var (need, why) = Required(g);
        long target = requested ?? Math.Max(modelOpset, need);
        if (target < need)
            throw new LowBitException(ErrorKind.Usage, $"export opset {target} is too low: {why} need{(why.EndsWith('s') ? "" : "s")} opset {need}");
        if (target < modelOpset)
            throw new LowBitException(ErrorKind.Usage, $"export opset {target} is below the model's opset {modelOpset}; LowBit raises opsets, it does not lower them");
        var notes = OpsetUpgrade.Apply(g, target);
        string reason = target == modelOpset
            ? $"kept the model's opset {modelOpset} ({(need > 1 ? $"{why} need{(why.EndsWith('s') ? "" : "s")} {need}" : "no quantization op needs more")})"
            : requested is not null ? $"raised from {modelOpset} to {target} as requested ({why} need{(why.EndsWith('s') ? "" : "s")} {need})"
            : $"raised from {modelOpset} to {target}: {why} need{(why.EndsWith('s') ? "" : "s")} opset {need}";
        return (target, reason, notes);
    }

    private static (long Opset, string Why) Required(Graph.Graph g)
    {
        long need = 1;
        string why = "nothing";
        void Need(long v, string w) { if (v > need) (need, why) = (v, w); }
        foreach (var (owner, n) in Nodes(g).Where(x => x.Node.Domain.Length == 0))
        {
            switch (n.OpType)
            {
                case "QuantizeLinear" or "DequantizeLinear":
                    Need(10, "QuantizeLinear/DequantizeLinear");
                    var codes = n.OpType == "QuantizeLinear" ? (n.Inputs.Count > 2 ? TypeOf(owner, n.Inputs[2]) : DType.UInt8) : TypeOf(owner, n.Inputs[0]);
                    if (codes is DType.Int4 or DType.UInt4 or DType.Int16 or DType.UInt16) Need(21, $"{codes.Name()} codes");
                    if (codes is DType.Float8E4M3FN or DType.Float8E5M2) Need(19, $"{codes.Name()} codes");
                    if (n.Attributes.ContainsKey("block_size")) Need(21, "blocked (per-group) scales");
                    if (n.Inputs.Count > 1 && owner.Initializers.TryGetValue(n.Inputs[1], out var s) && s.Length > 1) Need(13, "per-channel scales");
                    break;
                case "DynamicQuantizeLinear":
                    Need(11, "DynamicQuantizeLinear");
                    break;
                case "MatMulInteger" or "ConvInteger":
                    Need(10, n.OpType);
                    break;
                case "Clip" when n.Inputs.Count > 1:  // the grid clip of narrow activation formats (Qdq/QdqRewriter.cs)
                    Need(11, "Clip with min/max inputs (activation grids narrower than their storage type)");
                    break;
                case "Mod":  // the unpack of bit-packed codes (Qdq/PackedCodes.cs; lookup weights always use it)
                    Need(10, "Mod (unpacking bit-packed codes)");
                    break;
            }
        }
        return (need, why);
    }

    /// <summary>Every node with the graph holding it, control-flow bodies included (they share the model's opset).</summary>
    private static IEnumerable<(Graph.Graph Owner, Graph.Node Node)> Nodes(Graph.Graph g) =>
        g.Nodes.SelectMany(n => n.Subgraphs().SelectMany(Nodes).Prepend((g, n)));

    private static DType TypeOf(Graph.Graph g, string name) => g.Initializers.TryGetValue(name, out var t) ? t.DType : DType.Undefined;
}
