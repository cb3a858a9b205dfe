using LowBit.Graph;
using LowBit.Tensors;

namespace LowBit.Quantization.Prepare;

/// <summary>Per-op rewrites between the opset versions where an op's signature changed (ONNX Changelog.md).</summary>
internal static partial class OpsetUpgrade
{
    private static readonly Dictionary<string, Action<Context>> Converters = Build();

    private static Dictionary<string, Action<Context>> Build()
    {
        var d = new Dictionary<string, Action<Context>>
        {
            ["BatchNormalization"] = BatchNorm,
            ["Clip"] = Clip,
            ["Concat"] = c => { if (!c.Node.Attributes.ContainsKey("axis")) c.Node.With("axis", 1L); },
            ["Dropout"] = Dropout,
            ["Pad"] = Pad,
            ["Reshape"] = c => c.IntsToInput("shape", 1),
            ["Slice"] = c => { c.IntsToInput("starts", 1); c.IntsToInput("ends", 2); c.IntsToInput("axes", 3); },
            ["Squeeze"] = c => c.IntsToInput("axes", 1),
            ["Unsqueeze"] = c => c.IntsToInput("axes", 1),
            ["Split"] = Split,
            ["TopK"] = c => c.IntsToInput("k", 1),
            ["Softmax"] = SoftmaxFamily,
            ["LogSoftmax"] = SoftmaxFamily,
            ["Hardmax"] = SoftmaxFamily,
        };
        foreach (var op in new[] { "Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less", "PRelu" })
            d[op] = LegacyBroadcast;
        foreach (var op in new[] { "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "ReduceL1", "ReduceL2" })
            d[op] = c => c.IntsToInput("axes", 1);
        return d;
    }

    /// <summary>Opset &lt; 7 binary ops: <c>broadcast</c> = 1 aligned B to A's trailing dims (numpy rules since 7)
    /// unless <c>axis</c> moved it.</summary>
    private static void LegacyBroadcast(Context c)
    {
        if (c.Node.Attributes.ContainsKey("axis")) throw c.Fail("it broadcasts along an explicit axis");
        c.Node.Attributes.Remove("broadcast");
        c.Node.Attributes.Remove("consumed_inputs");
    }

    private static void BatchNorm(Context c)
    {
        if ((c.Node.Get<long?>("spatial") ?? 1) != 1) throw c.Fail("it normalizes per element (spatial = 0)");
        foreach (var a in new[] { "spatial", "is_test", "consumed_inputs" }) c.Node.Attributes.Remove(a);
    }

    /// <summary>Opset 11: min and max became optional inputs.</summary>
    private static void Clip(Context c)
    {
        float? lo = c.Node.Attributes.Remove("min", out var a) ? Convert.ToSingle(a.Value) : null;
        float? hi = c.Node.Attributes.Remove("max", out var b) ? Convert.ToSingle(b.Value) : null;
        if (lo is float l) c.SetInput(1, c.Constant("min", Tensor.FromArray(new[] { l }, [])));
        if (hi is float h) c.SetInput(2, c.Constant("max", Tensor.FromArray(new[] { h }, [])));
    }

    /// <summary>Opset 12: ratio became an input; is_test went away (inference drops nothing either way).</summary>
    private static void Dropout(Context c)
    {
        c.Node.Attributes.Remove("is_test");
        c.Node.Attributes.Remove("consumed_inputs");
        if (c.Node.Attributes.Remove("ratio", out var r)) c.SetInput(1, c.Constant("ratio", Tensor.FromArray(new[] { Convert.ToSingle(r.Value) }, [])));
    }

    /// <summary>Opset 11: pads and the constant value became inputs.</summary>
    private static void Pad(Context c)
    {
        c.IntsToInput("pads", 1);
        if (c.Node.Attributes.Remove("value", out var v)) c.SetInput(2, c.Constant("value", Tensor.FromArray(new[] { Convert.ToSingle(v.Value) }, [])));
    }

    /// <summary>Opset 13: split became an input; opset 18: without it, num_outputs is required.</summary>
    private static void Split(Context c)
    {
        c.IntsToInput("split", 1);
        if (c.Target >= 18 && (c.Node.Inputs.Count < 2 || c.Node.Inputs[1].Length == 0) && !c.Node.Attributes.ContainsKey("num_outputs"))
            c.Node.With("num_outputs", (long)c.Node.Outputs.Count);
    }

    /// <summary>
    /// Before opset 13, Softmax(x, axis) coerced x to 2-D [∏ dims &lt; axis, ∏ dims ≥ axis] (default axis 1) and
    /// normalized rows; since 13 it normalizes along one axis. Axis −1 means the same thing in both; otherwise the old
    /// meaning is rebuilt exactly: Flatten(x, axis) → Softmax(axis = 1) → Reshape to Shape(x).
    /// </summary>
    private static void SoftmaxFamily(Context c)
    {
        long axis = c.Node.Get<long?>("axis") ?? 1;
        if (axis == -1) return;
        var g = c.Graph;
        var n = c.Node;
        string stem = n.Name.Length > 0 ? n.Name : n.Outputs[0];
        string x = n.Inputs[0], flat = g.UniqueName(stem + "_flat"), shape = g.UniqueName(stem + "_shape");
        string y = n.Outputs[0], y2 = g.UniqueName(stem + "_2d");
        int at = g.Nodes.IndexOf(n);
        g.Nodes.Insert(at, new Node("Shape", [x], [shape], g.UniqueName(stem + "_Shape")));
        g.Nodes.Insert(at + 1, new Node("Flatten", [x], [flat], g.UniqueName(stem + "_Flatten")).With("axis", axis));
        n.Inputs[0] = flat;
        n.Outputs[0] = y2;
        n.With("axis", 1L);
        g.Nodes.Insert(at + 3, new Node("Reshape", [y2, shape], [y], g.UniqueName(stem + "_Reshape")));
    }
}
