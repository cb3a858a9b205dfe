using LowBit.Onnx.Ops;
using LowBit.Tensors;

namespace LowBit.Graph.Passes;

/// <summary>
/// Turns float32 Conv, Gemm and MatMul nodes into the fused ops of <see cref="FusedOps"/> so that
/// <c>Relu(Add(Conv(x), r))</c>, <c>Relu(Conv(x))</c>, <c>Clip(Gemm(…))</c> … become one kernel call whose output pass adds
/// the bias and the residual and applies the activation (additions in the unfused order, so results are bitwise equal).
/// A node is absorbed only when it is the sole reader of the value it consumes and that value is not a graph output.
/// Weights that are float32 initializers are marked packed_weights = 1 (packed once per session).
/// MatMul is converted only with a 2-D initializer B, Gemm only with a float32 initializer B and opset ≥ 11.
/// </summary>
public static class FuseActivations
{
    /// <summary>Rewrites <paramref name="g"/> in place; returns the number of nodes converted.</summary>
    public static int Apply(Graph g)
    {
        var consumers = g.Consumers();
        var outputs = new HashSet<string>(g.Outputs.Select(o => o.Name));
        long opset = g.OpsetOf("");
        int converted = 0;
        foreach (var node in g.Nodes.ToList())
        {
            if (node.Domain.Length != 0 || node.Inputs.Count < 2) continue;
            bool float32 = DTypeOf(g, node.Inputs[1]) == DType.Float32;
            bool constant = float32 && GraphConstants.Get(g, node.Inputs[1]) is not null;
            switch (node.OpType)
            {
                case "Conv" when float32:
                    node.OpType = "FusedConv";
                    break;
                // Legacy Gemm (C required before 11, broadcast attribute before 7) keeps its own checks.
                case "Gemm" when constant && opset >= 11:
                    node.OpType = "FusedGemm";
                    break;
                case "MatMul" when constant && g.Initializers[node.Inputs[1]].Rank == 2:
                    node.OpType = "FusedMatMul";
                    break;
                default:
                    continue;
            }
            node.Domain = FusedOps.Domain;
            node.With("packed_weights", constant ? 1L : 0L);
            converted++;

            if (node.OpType == "FusedConv" && SoleReader(node.Outputs[0]) is Node add && add.OpType == "Add" && add.Domain.Length == 0
                && add.Inputs.Count == 2 && add.Inputs[0] != add.Inputs[1])
            {
                string other = add.Inputs[0] == node.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
                while (node.Inputs.Count < 3) node.Inputs.Add("");
                node.Inputs.Add(other);
                Absorb(node, add);
                if (consumers.TryGetValue(other, out var readers)) { readers.Remove(add); readers.Add(node); }
            }
            if (SoleReader(node.Outputs[0]) is Node act && act.Domain.Length == 0 && Activation(g, act, opset) is (string kind, float lo, float hi))
            {
                node.With("activation", kind);
                if (kind == "Clip")
                {
                    node.With("clip_min", lo);
                    node.With("clip_max", hi);
                }
                Absorb(node, act);
            }
        }
        return converted;

        Node? SoleReader(string value) =>
            !outputs.Contains(value) && consumers.TryGetValue(value, out var list) && list.Count == 1
            && list[0].Inputs.Count(i => i == value) == 1 && !list[0].Subgraphs().Any() ? list[0] : null;

        void Absorb(Node node, Node next)
        {
            node.Outputs[0] = next.Outputs[0];
            g.Nodes.Remove(next);
        }
    }

    /// <summary>(kind, lo, hi) when <paramref name="n"/> is Relu or a Clip with constant bounds.</summary>
    private static (string, float, float)? Activation(Graph g, Node n, long opset)
    {
        if (n.OpType == "Relu") return ("Relu", 0f, float.PositiveInfinity);
        if (n.OpType != "Clip") return null;
        if (opset < 11)
        {
            float lo = n.Attributes.TryGetValue("min", out var a) ? Convert.ToSingle(a.Value) : float.MinValue;
            float hi = n.Attributes.TryGetValue("max", out var b) ? Convert.ToSingle(b.Value) : float.MaxValue;
            return ("Clip", lo, hi);
        }
        float? Bound(int i, float fallback)
        {
            if (n.Inputs.Count <= i || n.Inputs[i].Length == 0) return fallback;
            return GraphConstants.Float32(g, n.Inputs[i]) is { Length: 1 } t ? t.AsReadOnlySpan<float>()[0] : null;
        }
        return Bound(1, float.MinValue) is float min && Bound(2, float.MaxValue) is float max ? ("Clip", min, max) : null;
    }

    /// <summary>Element type of a value from initializers, graph inputs or value_info; Undefined when not declared.</summary>
    internal static DType DTypeOf(Graph g, string name)
    {
        if (g.Initializers.TryGetValue(name, out var t)) return t.DType;
        foreach (var v in g.Inputs) if (v.Name == name) return v.DType;
        return g.ValueInfos.TryGetValue(name, out var info) ? info.DType : DType.Undefined;
    }
}
