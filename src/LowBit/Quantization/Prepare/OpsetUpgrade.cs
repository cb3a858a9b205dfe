using LowBit.Graph;
using LowBit.Onnx;
using LowBit.Tensors;

namespace LowBit.Quantization.Prepare;

/// <summary>
/// Raises a model's default-domain opset (per-axis DequantizeLinear needs 13; int4, int16 and blocked scales need 21).
/// An op whose implementation in LowBit's op table is the same at both opsets did not change between them and is kept
/// as is; an op that changed is rewritten by a converter (attributes that became inputs, Softmax's coerced-2D
/// semantics) or, where none exists, the upgrade fails naming the node and op, before anything is written.
/// Subgraphs are upgraded with their model.
/// </summary>
internal static partial class OpsetUpgrade
{
    /// <summary>Ops the quantizer writes for the export opset itself (their later versions only add features).</summary>
    private static readonly HashSet<string> WrittenForTarget = ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger"];

    /// <summary>Deprecated ops and the opset that removed them.</summary>
    private static readonly Dictionary<string, long> Removed = new() { ["Upsample"] = 10, ["Scatter"] = 11 };

    /// <summary>Minimum IR version for an opset (ONNX versioning table: opset 13 ↔ IR 7, 21 ↔ IR 10).</summary>
    public static long IrFor(long opset) => opset switch { >= 21 => 10, >= 19 => 9, >= 15 => 8, >= 13 => 7, >= 11 => 6, >= 10 => 5, _ => 3 };

    /// <summary>Rewrites <paramref name="g"/> to <paramref name="target"/>; returns one note per converted node.</summary>
    public static List<string> Apply(Graph.Graph g, long target)
    {
        long from = g.DefaultOpset;
        var notes = new List<string>();
        if (target <= from) return notes;
        Upgrade(g, from, target, notes);
        g.Opsets[""] = target;
        g.Metadata.IrVersion = Math.Max(g.Metadata.IrVersion, IrFor(target));
        return notes;
    }

    private static void Upgrade(Graph.Graph g, long from, long target, List<string> notes)
    {
        foreach (var node in g.Nodes.ToList())
        {
            foreach (var sub in node.Subgraphs()) Upgrade(sub, from, target, notes);
            if (node.Domain.Length != 0 || WrittenForTarget.Contains(node.OpType)) continue;
            if (Removed.TryGetValue(node.OpType, out long gone) && target >= gone)
                throw Unconvertible(node, from, target, $"{node.OpType} was removed from ONNX in opset {gone}");
            var before = OpTable.Find("", node.OpType, from);
            var after = OpTable.Find("", node.OpType, target);
            if (before is null || before == after) continue;
            if (!Converters.TryGetValue(node.OpType, out var convert))
                throw Unconvertible(node, from, target, "LowBit has no converter for it");
            convert(new Context(g, node, from, target));
            notes.Add($"{node.DisplayName} ({node.OpType}) rewritten for opset {target}");
        }
    }

    private static LowBitException Unconvertible(Node n, long from, long target, string why) =>
        new(ErrorKind.InvalidModel,
            $"cannot raise the model from opset {from} to {target}: node {n.DisplayName} ({n.OpType}) changed in between and {why}; " +
            "re-export the model at opset 13 or later, or choose formats that need no newer opset (8-bit per-tensor weights)");

    private sealed record Context(Graph.Graph Graph, Node Node, long From, long Target)
    {
        /// <summary>Adds an initializer named after the node and returns its name.</summary>
        public string Constant(string suffix, Tensor t)
        {
            string name = Graph.UniqueName($"{(Node.Name.Length > 0 ? Node.Name : Node.Outputs[0])}_{suffix}");
            Graph.Initializers[name] = t;
            return name;
        }

        /// <summary>Moves an int64-list attribute to input <paramref name="index"/> (empty names pad the gap).</summary>
        public void IntsToInput(string attr, int index)
        {
            if (!Node.Attributes.Remove(attr, out var a)) return;
            var v = a.Value is long[] ls ? ls : [Convert.ToInt64(a.Value)];
            SetInput(index, Constant(attr, Tensor.FromArray((long[])v.Clone(), v.Length)));
        }

        public void SetInput(int index, string name)
        {
            while (Node.Inputs.Count <= index) Node.Inputs.Add("");
            Node.Inputs[index] = name;
        }

        public LowBitException Fail(string why) => Unconvertible(Node, From, Target, why);
    }
}
